import { Injectable } from '@nestjs/common';
import { PrismaService, type Tx } from '@gatehouse/db';
import type { JWK } from 'jose';

export type SigningKeyState = 'next' | 'current' | 'retired' | 'revoked';

export interface SigningKeyRecord {
  kid: string;
  state: SigningKeyState;
  alg: string;
  publicJwk: JWK;
  privateKeyEnc: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Keys a verifier may still need: everything but revoked ones. */
  async listPublished(): Promise<SigningKeyRecord[]> {
    const rows = await this.prisma.signingKey.findMany({
      where: { state: { in: ['next', 'current', 'retired'] } },
      orderBy: { createdAt: 'desc' },
    });
    return rows.map(toRecord);
  }

  async findCurrent(tx: Tx): Promise<SigningKeyRecord | null> {
    const row = await tx.signingKey.findFirst({ where: { state: 'current' } });
    return row ? toRecord(row) : null;
  }

  async insert(tx: Tx, key: Omit<SigningKeyRecord, 'createdAt' | 'retiredAt'>): Promise<void> {
    await tx.signingKey.create({
      data: {
        kid: key.kid,
        state: key.state,
        alg: key.alg,
        publicJwk: key.publicJwk as object,
        privateKeyEnc: key.privateKeyEnc,
        activatedAt: key.activatedAt,
      },
    });
  }

  /** Serialises key changes across instances for the rest of the transaction. */
  async lockForRotation(tx: Tx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7301, 1)`;
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
  };
}
