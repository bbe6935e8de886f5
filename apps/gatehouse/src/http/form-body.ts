import { FormParams } from '@gatehouse/oauth';
import type { FastifyInstance } from 'fastify';

/** A parsed form body, every value kept: which parameters may repeat is the endpoint's rule. */
export class FormBody {
  constructor(readonly params: FormParams) {}
}

/**
 * application/x-www-form-urlencoded, for the OAuth protocol endpoints only (RFC 6749 §3.2);
 * the management API stays JSON-only.
 */
export function registerFormParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    if (!req.url.startsWith('/oauth/')) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    done(null, new FormBody(FormParams.from(new URLSearchParams(body as string))));
  });
}
