import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, newId, type Clock } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import { KEK, KeyedHasher, randomSecret } from '@gatehouse/credentials';

/** RFC 6749 §4.1.2: short-lived; OAuth 2.1 recommends at most 10 minutes, Gatehouse uses 60 s. */
export const AUTHORIZATION_CODE_TTL_S = 60;

/** What a code is bound to (docs/sign-in.md#codes). */
export interface CodeGrant {
  clientId: string;
  orgId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  nonce: string | null;
  scopes: string[];
  resource: string | null;
  authTime: Date;
  sid: string;
  amr: string[];
}

export interface StoredCode extends CodeGrant {
  id: string;
  expiresAt: Date;
  consumedAt: Date | null;
  issuedJti: string | null;
  issuedFamilyId: string | null;
}

/**
 * Authorization codes: 256 random bits behind the `ghac_` prefix, stored only as a keyed
 * hash, single use (the row lock of `lockForRedemption` serialises two redemptions), and
 * recording what their redemption issued so a second use can revoke it.
 */
@Injectable()
export class AuthorizationCodes {
  private readonly hasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hasher = new KeyedHasher(kek, 'authorization-code');
  }

  async create(grant: CodeGrant, db: Tx | PrismaService = this.prisma): Promise<string> {
    const code = randomSecret('ghac');
    const now = this.clock.now();
    await db.authorizationCode.create({
      data: {
        id: newId('challenge'),
        codeHash: this.hasher.hash(code),
        clientId: grant.clientId,
        orgId: grant.orgId,
        userId: grant.userId,
        redirectUri: grant.redirectUri,
        codeChallenge: grant.codeChallenge,
        codeChallengeMethod: grant.codeChallengeMethod,
        nonce: grant.nonce,
        scope: grant.scopes.join(' '),
        resource: grant.resource,
        authTime: grant.authTime,
        sid: grant.sid,
        amr: grant.amr,
        expiresAt: new Date(now.getTime() + AUTHORIZATION_CODE_TTL_S * 1000),
        createdAt: now,
      },
    });
    return code;
  }

  /** The code `presented` names, locked for the rest of `tx`; null when unknown. */
  async lockForRedemption(tx: Tx, presented: string): Promise<StoredCode | null> {
    if (!presented.startsWith('ghac_') || presented.length > 200) return null;
    const hash = this.hasher.hash(presented);
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM authorization_codes WHERE code_hash = ${hash} FOR UPDATE`;
    if (!rows[0]) return null;
    const row = await tx.authorizationCode.findUniqueOrThrow({ where: { id: rows[0].id } });
    return {
      id: row.id,
      clientId: row.clientId,
      orgId: row.orgId,
      userId: row.userId,
      redirectUri: row.redirectUri,
      codeChallenge: row.codeChallenge,
      codeChallengeMethod: row.codeChallengeMethod as 'S256' | null,
      nonce: row.nonce,
      scopes: row.scope.split(' ').filter(Boolean),
      resource: row.resource,
      authTime: row.authTime,
      sid: row.sid,
      amr: row.amr,
      expiresAt: row.expiresAt,
      consumedAt: row.consumedAt,
      issuedJti: row.issuedJti,
      issuedFamilyId: row.issuedFamilyId,
    };
  }

  /** Marks the code spent, with what its redemption issued. */
  async markRedeemed(tx: Tx, id: string, issued: { jti: string; familyId: string | null }): Promise<void> {
    await tx.authorizationCode.update({
      where: { id },
      data: { consumedAt: this.clock.now(), issuedJti: issued.jti, issuedFamilyId: issued.familyId },
    });
  }

  /** Spends a code whose redemption was refused, so it cannot be tried again. */
  async spend(tx: Tx, id: string): Promise<void> {
    await tx.authorizationCode.updateMany({ where: { id, consumedAt: null }, data: { consumedAt: this.clock.now() } });
  }
}
