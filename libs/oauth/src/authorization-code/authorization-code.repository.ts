import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, newId, type Clock } from '@gatehouse/core';
import { PrismaService, SqlPool, type SqlTransaction, type Tx } from '@gatehouse/db';
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

/** A code as its redemption reads it: with the user it names, as that user is now (null: gone). */
export interface LockedCode extends StoredCode {
  user: CodeUser | null;
}

/** The user fields a redemption needs: liveness and the ID token's claims (docs/sign-in.md#claims). */
export interface CodeUser {
  id: string;
  orgId: string;
  disabled: boolean;
  email: string;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  locale: string | null;
  org: { id: string; name: string };
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
    private readonly sql: SqlPool,
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

  /**
   * Who a code was issued to and for which org, read without a lock: the token endpoint needs
   * the org before it can resolve a self-registered client (docs/client-registration.md#at-the-token-endpoint).
   * The redemption itself still checks everything under the row lock.
   */
  async issuedTo(presented: string | undefined): Promise<{ clientId: string; orgId: string } | null> {
    if (!presented?.startsWith('ghac_') || presented.length > 200) return null;
    // node-postgres, prepared: on every redemption (docs/performance.md#prepared-statements).
    const [row] = await this.sql.query<{ client_id: string; org_id: string }>(
      'SELECT client_id, org_id FROM authorization_codes WHERE code_hash = $1',
      [this.hasher.hash(presented)],
      'gatehouse_code_issued_to',
    );
    return row ? { clientId: row.client_id, orgId: row.org_id } : null;
  }

  /**
   * The code `presented` names, locked for the rest of `tx`, with its user and the user's org,
   * in one statement (node-postgres: docs/performance.md#the-refresh-grant); null when unknown.
   */
  async lockForRedemption(tx: SqlTransaction, presented: string): Promise<LockedCode | null> {
    if (!presented.startsWith('ghac_') || presented.length > 200) return null;
    const [row] = await tx.query<CodeRow>(
      `SELECT c.id, c.client_id, c.org_id, c.user_id, c.redirect_uri, c.code_challenge, c.code_challenge_method,
              c.nonce, c.scope, c.resource, c.auth_time, c.sid, c.amr, c.expires_at, c.consumed_at, c.issued_jti,
              c.issued_family_id, u.id AS u_id, u.org_id AS u_org_id, u.disabled AS u_disabled, u.email AS u_email,
              u.email_verified AS u_email_verified, u.name AS u_name, u.given_name AS u_given_name,
              u.family_name AS u_family_name, u.locale AS u_locale, o.name AS o_name
         FROM authorization_codes c
         LEFT JOIN users u ON u.id = c.user_id
         LEFT JOIN organizations o ON o.id = u.org_id
        WHERE c.code_hash = $1
          FOR UPDATE OF c`,
      [this.hasher.hash(presented)],
      'gatehouse_code_lock',
    );
    if (!row) return null;
    return {
      id: row.id,
      clientId: row.client_id,
      orgId: row.org_id,
      userId: row.user_id,
      redirectUri: row.redirect_uri,
      codeChallenge: row.code_challenge,
      codeChallengeMethod: row.code_challenge_method as 'S256' | null,
      nonce: row.nonce,
      scopes: row.scope.split(' ').filter(Boolean),
      resource: row.resource,
      authTime: row.auth_time,
      sid: row.sid,
      amr: row.amr,
      expiresAt: row.expires_at,
      consumedAt: row.consumed_at,
      issuedJti: row.issued_jti,
      issuedFamilyId: row.issued_family_id,
      user:
        row.u_id === null
          ? null
          : {
              id: row.u_id,
              orgId: row.u_org_id!,
              disabled: row.u_disabled!,
              email: row.u_email!,
              emailVerified: row.u_email_verified!,
              name: row.u_name,
              givenName: row.u_given_name,
              familyName: row.u_family_name,
              locale: row.u_locale,
              org: { id: row.u_org_id!, name: row.o_name! },
            },
    };
  }

  /** Marks the code spent, with what its redemption issued. */
  async markRedeemed(tx: SqlTransaction, id: string, issued: { jti: string; familyId: string | null }): Promise<void> {
    await tx.query(
      `UPDATE authorization_codes SET consumed_at = $1, issued_jti = $2, issued_family_id = $3 WHERE id = $4`,
      [this.clock.now(), issued.jti, issued.familyId, id],
      'gatehouse_code_redeemed',
    );
  }

  /** Spends a code whose redemption was refused, so it cannot be tried again. */
  async spend(tx: SqlTransaction, id: string): Promise<void> {
    await tx.query(`UPDATE authorization_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL`, [
      this.clock.now(),
      id,
    ]);
  }
}

interface CodeRow {
  id: string;
  client_id: string;
  org_id: string;
  user_id: string;
  redirect_uri: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  nonce: string | null;
  scope: string;
  resource: string | null;
  auth_time: Date;
  sid: string;
  amr: string[];
  expires_at: Date;
  consumed_at: Date | null;
  issued_jti: string | null;
  issued_family_id: string | null;
  u_id: string | null;
  u_org_id: string | null;
  u_disabled: boolean | null;
  u_email: string | null;
  u_email_verified: boolean | null;
  u_name: string | null;
  u_given_name: string | null;
  u_family_name: string | null;
  u_locale: string | null;
  o_name: string | null;
}
