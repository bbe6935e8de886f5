import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KEK, KeyedHasher } from '@gatehouse/credentials';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie } from './browser-http';

export const FORM_COOKIE = 'gatehouse_form';
const FORM_COOKIE_S = 3600;

/**
 * CSRF for the link pages, which have no sign-in interaction (docs/sign-in.md#link-pages):
 * a random value in an HttpOnly, SameSite=Strict cookie scoped to /sign-in, and in each form
 * a keyed hash of that value with the page it posts to. A form of another page, another
 * browser or another site does not match.
 */
@Injectable()
export class FormCsrf {
  private readonly hasher: KeyedHasher;

  constructor(@Inject(KEK) kek: Buffer) {
    this.hasher = new KeyedHasher(kek, 'sign-in-form-csrf');
  }

  /** The token for a form posting to `action`; sets the cookie when the browser has none. */
  issue(req: FastifyRequest, reply: FastifyReply, issuer: string, action: string): string {
    let value = readCookie(req, FORM_COOKIE);
    if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
      value = randomBytes(32).toString('base64url');
      const attrs = [
        `${FORM_COOKIE}=${value}`,
        'Path=/sign-in',
        `Max-Age=${FORM_COOKIE_S}`,
        'HttpOnly',
        'SameSite=Strict',
      ];
      if (issuer.startsWith('https:')) attrs.push('Secure');
      void reply.header('set-cookie', attrs.join('; '));
    }
    return this.hasher.hash(`${value}\n${action}`);
  }

  verify(req: FastifyRequest, action: string, token: string | undefined): boolean {
    const value = readCookie(req, FORM_COOKIE);
    if (!value || !token) return false;
    const a = Buffer.from(this.hasher.hash(`${value}\n${action}`));
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
