import type { StripeWebhookService } from '@gatehouse/control';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem';
import { requestMeta } from './request-meta.decorator';

export const STRIPE_WEBHOOK_PATH = '/v1/integrations/stripe/webhook';

/**
 * POST /v1/integrations/stripe/webhook as a plain Fastify route in its own scope: the
 * Stripe-Signature HMAC covers the exact bytes Stripe sent, so this scope keeps the JSON
 * body raw (a Buffer) instead of parsing it (docs/control.md#stripe). Not behind the bearer
 * guard: the signature is the authentication. Errors are problem+json like the rest of /v1.
 */
export function registerStripeWebhookRoute(fastify: FastifyInstance, stripe: StripeWebhookService): void {
  void fastify.register((scope, _opts, done) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, next) => next(null, body));
    scope.post(
      STRIPE_WEBHOOK_PATH,
      { errorHandler: (err, req, reply) => sendProblem(req, reply, err) },
      async (req) => {
        const signature = req.headers['stripe-signature'];
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        return stripe.receive(requestMeta(req), typeof signature === 'string' ? signature : undefined, raw);
      },
    );
    done();
  });
}

/** The route's OpenAPI entry: Nest's document generator only sees controllers. */
export const stripeWebhookOpenApi = {
  post: {
    operationId: 'StripeWebhook_receive',
    tags: ['control'],
    summary: 'Stripe webhook: customer.subscription.* and entitlements.active_entitlement_summary.updated',
    description:
      'Verified with the Stripe-Signature header (HMAC-SHA256 of `t.payload` under GATEHOUSE_STRIPE_WEBHOOK_SECRET, ' +
      '5-minute tolerance); an event id is applied once, a replay is 409. The org is the subscription’s metadata.org_id.',
    parameters: [{ name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' } }],
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
    responses: {
      '200': { description: '{received: true, applied, org_id}' },
      '400': { description: 'Signature missing, wrong or outside the tolerance; body not a Stripe event' },
      '404': { description: 'No endpoint secret configured' },
      '409': { description: 'Event already received (replay)' },
    },
  },
};
