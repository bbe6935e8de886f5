import type { FastifyInstance } from 'fastify';

/** A parsed form; `repeated` names the first parameter sent twice, for the endpoint to refuse. */
export class FormBody {
  constructor(
    readonly params: Map<string, string>,
    readonly repeated: string | null,
  ) {}
}

/**
 * application/x-www-form-urlencoded, for the OAuth protocol endpoints only (RFC 6749 §3.2);
 * the management API stays JSON-only. Parameters sent more than once are refused
 * (RFC 6749 §3.1: "MUST NOT be included more than once").
 */
export function registerFormParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    if (!req.url.startsWith('/oauth/')) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    const params = new Map<string, string>();
    let repeated: string | null = null;
    for (const [k, v] of new URLSearchParams(body as string)) {
      if (params.has(k)) repeated ??= k;
      params.set(k, v);
    }
    done(null, new FormBody(params, repeated));
  });
}
