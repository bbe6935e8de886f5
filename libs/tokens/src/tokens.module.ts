import { Global, Module } from '@nestjs/common';
import { AccessTokenService } from './access-token.service';
import { AccessTokenVerifier } from './access-token.verifier';
import { DelegationLineage } from './delegation-lineage';
import { GatedAccess } from './gated-access';
import { PrincipalResolver } from './principal-resolver';
import { RefreshTokenService } from './refresh-token.service';
import { RevocationMirror } from './revocation-mirror';
import { SessionRotation } from './session-rotation';
import { TokenIssuer } from './token-issuer';
import { TokenRevocationService } from './token-revocation.service';
import { UndeliveredTokens } from './undelivered-tokens';
import { ManagedTokens } from './managed/managed-tokens';
import { AnomalyDetector } from './anomalies/anomaly-detector';
import { DpopProofs } from './dpop/dpop-proofs';
import { RequestLimits } from './request-limits';

/** What other libraries use. AccessTokenService (the signer) is not among them: TokenIssuer is its one caller. */
const exported = [
  TokenIssuer,
  SessionRotation,
  GatedAccess,
  PrincipalResolver,
  AccessTokenVerifier,
  RefreshTokenService,
  TokenRevocationService,
  RevocationMirror,
  DelegationLineage,
  UndeliveredTokens,
  ManagedTokens,
  AnomalyDetector,
  DpopProofs,
  RequestLimits,
];

@Global()
@Module({ providers: [AccessTokenService, ...exported], exports: exported })
export class TokensModule {}
