import { Global, Module } from '@nestjs/common';
import { AccessTokenService } from './access-token.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { RefreshTokenService } from './refresh-token.service';

@Global()
@Module({
  providers: [AccessTokenService, AccessTokenVerifier, RefreshTokenService],
  exports: [AccessTokenService, AccessTokenVerifier, RefreshTokenService],
})
export class TokensModule {}
