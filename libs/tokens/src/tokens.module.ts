import { Global, Module } from '@nestjs/common';
import { AccessTokenService } from './access-token.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { RefreshTokenService } from './refresh-token.service';
import { RevocationMirror } from './revocation-mirror';
import { TokenRevocationService } from './token-revocation.service';

@Global()
@Module({
  providers: [AccessTokenService, AccessTokenVerifier, RefreshTokenService, TokenRevocationService, RevocationMirror],
  exports: [AccessTokenService, AccessTokenVerifier, RefreshTokenService, TokenRevocationService, RevocationMirror],
})
export class TokensModule {}
