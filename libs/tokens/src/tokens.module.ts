import { Global, Module } from '@nestjs/common';
import { GatedAccess } from './gated-access';
import { AccessTokenService } from './access-token.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { RefreshTokenService } from './refresh-token.service';
import { RevocationMirror } from './revocation-mirror';
import { TokenRevocationService } from './token-revocation.service';
import { UndeliveredTokens } from './undelivered-tokens';

@Global()
@Module({
  providers: [
    GatedAccess,
    AccessTokenService,
    AccessTokenVerifier,
    RefreshTokenService,
    TokenRevocationService,
    RevocationMirror,
    UndeliveredTokens,
  ],
  exports: [
    GatedAccess,
    AccessTokenService,
    AccessTokenVerifier,
    RefreshTokenService,
    TokenRevocationService,
    RevocationMirror,
    UndeliveredTokens,
  ],
})
export class TokensModule {}
