import { LOGO_MAX_BYTES } from '@gatehouse/directory';
import type { FastifyInstance } from 'fastify';

/**
 * Raw image bodies, for the branding logo routes only (docs/sign-in-experience.md#branding):
 * kept as bytes, capped at the logo limit (a larger body is a 413 before it is read in full);
 * the service checks the declared type against the bytes.
 */
export function registerImageParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: LOGO_MAX_BYTES }, (req, body, done) => {
    if (!/\/branding\/logo(\?|$)/.test(req.url)) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    done(null, body);
  });
}
