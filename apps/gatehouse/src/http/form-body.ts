import { FormParams } from '@gatehouse/oauth';
import type { FastifyInstance } from 'fastify';

/** A parsed form body, every value kept: which parameters may repeat is the endpoint's rule. */
export class FormBody {
  constructor(readonly params: FormParams) {}
}

/**
 * application/x-www-form-urlencoded, for the OAuth protocol endpoints (RFC 6749 §3.2) and the
 * hosted sign-in pages only; the management API stays JSON-only.
 */
export function registerFormParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    // The hosted sign-in pages post forms too (docs/sign-in.md#pages).
    if (!req.url.startsWith('/oauth/') && !req.url.startsWith('/sign-in/')) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    done(null, new FormBody(FormParams.from(new URLSearchParams(body as string))));
  });
}
