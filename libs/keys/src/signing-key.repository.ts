import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '@gatehouse/db';
import type { JWK } from 'jose';

export type SigningKeyState = 'next' | 'current' | 'retired' | 'expired' | 'revoked';

export interface SigningKeyRecord {
  kid: string;
  state: SigningKeyState;
  alg: string;
  publicJwk: JWK;
  /** Sealed PKCS#8 PEM; empty once the key can never sign again (retired, expired, revoked). */
  privateKeyEnc: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  revokedAt: Date | null;
}

export type NewSigningKey = Pick<
  SigningKeyRecord,
  'kid' | 'state' | 'alg' | 'publicJwk' | 'privateKeyEnc' | 'createdAt'
> & {
  activatedAt: Date | null;
};

/** Advisory-lock key for every change to the key table (the migrator uses another). */
const ROTATION_LOCK = [7301, 1] as const;

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Keys a verifier may still need: the next and current keys, and retired keys that
   * stopped signing after `retiredAfter` (the overlap). Computed here as well as by the
   * expiry sweep, so a key drops out on time even when the sweep has not run yet.
   */
  async listPublished(retiredAfter: Date): Promise<SigningKeyRecord[]> {
    const rows = await this.prisma.signingKey.findMany({
      where: {
        OR: [{ state: { in: ['next', 'current'] } }, { state: 'retired', retiredAt: { gt: retiredAfter } }],
      },
      orderBy: [{ createdAt: 'desc' }, { kid: 'desc' }],
    });
    return rows.map(toRecord);
  }

  /** Newest first; the table gains about one row a rotation, so a bound is plenty. */
  async listRecent(limit: number): Promise<SigningKeyRecord[]> {
    const rows = await this.prisma.signingKey.findMany({
      orderBy: [{ createdAt: 'desc' }, { kid: 'desc' }],
      take: limit,
    });
    return rows.map(toRecord);
  }

  async find(tx: Tx, kid: string): Promise<SigningKeyRecord | null> {
    const row = await tx.signingKey.findUnique({ where: { kid } });
    return row ? toRecord(row) : null;
  }

  async findCurrent(tx: Tx): Promise<SigningKeyRecord | null> {
    const row = await tx.signingKey.findFirst({ where: { state: 'current' } });
    return row ? toRecord(row) : null;
  }

  async findNext(tx: Tx): Promise<SigningKeyRecord | null> {
    const row = await tx.signingKey.findFirst({ where: { state: 'next' } });
    return row ? toRecord(row) : null;
  }

  /** Retired keys whose overlap ended at or before `retiredBefore`. */
  async findRetiredBefore(tx: Tx, retiredBefore: Date): Promise<SigningKeyRecord[]> {
    const rows = await tx.signingKey.findMany({ where: { state: 'retired', retiredAt: { lte: retiredBefore } } });
    return rows.map(toRecord);
  }

  async insert(tx: Tx, key: NewSigningKey): Promise<void> {
    await tx.signingKey.create({
      data: {
        kid: key.kid,
        state: key.state,
        alg: key.alg,
        publicJwk: key.publicJwk as object,
        privateKeyEnc: key.privateKeyEnc,
        createdAt: key.createdAt,
        activatedAt: key.activatedAt,
      },
    });
  }

  async promote(tx: Tx, kid: string, at: Date): Promise<void> {
    await tx.signingKey.update({ where: { kid, state: 'next' }, data: { state: 'current', activatedAt: at } });
  }

  /** A retired key never signs again, so its sealed private part is erased with the change. */
  async retire(tx: Tx, kid: string, at: Date): Promise<void> {
    await tx.signingKey.update({
      where: { kid, state: 'current' },
      data: { state: 'retired', retiredAt: at, privateKeyEnc: '' },
    });
  }

  async expire(tx: Tx, kid: string): Promise<void> {
    await tx.signingKey.update({ where: { kid, state: 'retired' }, data: { state: 'expired' } });
  }

  async revoke(tx: Tx, kid: string, at: Date): Promise<void> {
    await tx.signingKey.update({ where: { kid }, data: { state: 'revoked', revokedAt: at, privateKeyEnc: '' } });
  }

  /** Serialises key changes across instances for the rest of the transaction (waits). */
  async lockForRotation(tx: Tx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ROTATION_LOCK[0]}::int, ${ROTATION_LOCK[1]}::int)`;
  }

  /** Like lockForRotation, but answers false at once when another instance holds the lock. */
  async tryLockForRotation(tx: Tx): Promise<boolean> {
    const rows = await tx.$queryRaw<{ locked: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(${ROTATION_LOCK[0]}::int, ${ROTATION_LOCK[1]}::int) AS locked`;
    return rows[0]?.locked === true;
  }
}

function toRecord(row: {
  kid: string;
  state: string;
  alg: string;
  publicJwk: unknown;
  privateKeyEnc: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  revokedAt: Date | null;
}): SigningKeyRecord {
  return {
    kid: row.kid,
    state: row.state as SigningKeyState,
    alg: row.alg,
    publicJwk: row.publicJwk as JWK,
    privateKeyEnc: row.privateKeyEnc,
    createdAt: row.createdAt,
    activatedAt: row.activatedAt,
    retiredAt: row.retiredAt,
    revokedAt: row.revokedAt,
  };
}
