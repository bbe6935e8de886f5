import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, OAuthError, isId, type Clock } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { KEK, KeyedHasher } from '@gatehouse/credentials';
import type { TokenRequest } from './grant';

export interface AuthenticatedClient {
  id: string;
  orgId: string;
  orgName: string;
  scopes: string[];
  audiences: string[];
  tokenTtlS: number;
  method: 'client_secret_basic' | 'client_secret_post';
}

/**
 * Client authentication for the token endpoint (RFC 6749 §2.3.1): client_secret_basic or
 * client_secret_post, exactly one per request. Secrets are compared as keyed hashes in
 * constant time — no bcrypt on this path (ARCHITECTURE.md §2). Every failure is the same
 * `invalid_client`, so responses do not tell an unknown client from a wrong secret.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly hasher: KeyedHasher;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(KEK) kek: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.hasher = new KeyedHasher(kek, 'client-secret');
  }

  async authenticate(req: TokenRequest): Promise<AuthenticatedClient> {
    const basic = parseBasic(req.authorization);
    const postId = req.params.get('client_id');
    const postSecret = req.params.get('client_secret');
    if (basic && (postSecret !== undefined || (postId !== undefined && postId !== basic.id))) {
      throw new OAuthError('invalid_request', 400, 'Use exactly one client authentication method.');
    }
    const method = basic ? 'client_secret_basic' : 'client_secret_post';
    const clientId = basic?.id ?? postId;
    const secret = basic?.secret ?? postSecret;
    const fail = () =>
      new OAuthError(
        'invalid_client',
        401,
        'Client authentication failed.',
        basic || req.authorization ? { 'WWW-Authenticate': 'Basic realm="gatehouse"' } : {},
      );
    if (req.authorization && !basic) throw fail();
    if (!clientId || !secret) throw fail();
    if (!isId('app', clientId) || secret.length > 200) throw fail();

    const app = await this.prisma.application.findUnique({
      where: { id: clientId },
      select: {
        id: true,
        orgId: true,
        scopes: true,
        audiences: true,
        tokenTtlS: true,
        disabled: true,
        org: { select: { name: true } },
        secrets: { where: { revokedAt: null }, select: { secretHash: true, expiresAt: true } },
      },
    });
    const now = this.clock.now();
    // Compare against every live secret (an app holds up to two during a rotation).
    const match = app?.secrets.some(
      (s) => (!s.expiresAt || s.expiresAt > now) && this.hasher.matches(secret, s.secretHash),
    );
    if (!app || !match || app.disabled) throw fail();
    return {
      id: app.id,
      orgId: app.orgId,
      orgName: app.org.name,
      scopes: app.scopes,
      audiences: app.audiences,
      tokenTtlS: app.tokenTtlS,
      method,
    };
  }
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before base64. */
function parseBasic(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header?.trim() ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}
