import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@gatehouse/core';
import { afterCommit, type Tx } from '@gatehouse/db';
import { TokenRevocationService } from '@gatehouse/tokens';

/**
 * A stop that offline verifiers must learn of (an org or app pause, a suspended or expired
 * contract; docs/control.md#offline) also writes a "valid after" mark on the org or app, in
 * the transaction of the change: every token issued up to now is refused here and, within
 * the revocation feed's poll, by every verifier. Refresh families are left alone, so once
 * the state is restored a client simply gets a new token; tokens issued while the stop
 * holds are refused at issuance by the gate.
 */
@Injectable()
export class OfflineStop {
  constructor(
    private readonly tokens: TokenRevocationService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async mark(tx: Tx, subjectId: string, orgId: string): Promise<Date> {
    const at = this.clock.now();
    await tx.$executeRaw`INSERT INTO principal_revocations (subject_id, valid_after, org_id) VALUES (${subjectId}, ${at}, ${orgId})
      ON CONFLICT (subject_id) DO UPDATE SET valid_after = GREATEST(principal_revocations.valid_after, EXCLUDED.valid_after)`;
    afterCommit(tx, () => this.tokens.mirrorValidAfter(subjectId, at));
    return at;
  }
}
