import type { RequestMeta } from '@gatehouse/audit';
import { AuthzenService, evaluationRequest, evaluationsRequest, type DecisionCaller } from '@gatehouse/control';
import { OAuthError, ProblemError } from '@gatehouse/core';
import { ClientAuthenticator, FormParams } from '@gatehouse/oauth';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { jsonSchema } from './openapi';
import { sendProblem } from './problem';
import { requestMeta } from './request-meta.decorator';
import { parseOrProblem } from './zod.pipe';

export const EVALUATION_PATH = '/access/v1/evaluation';
export const EVALUATIONS_PATH = '/access/v1/evaluations';

/**
 * The AuthZEN 1.0 decision endpoints (docs/control.md#authzen) as plain Fastify routes, like
 * the token endpoint: a resource server may ask before every request it serves, so the
 * decision's own work is the whole cost — Nest's router, guard and parameter pipeline around
 * it were a third of a decision's CPU and most of what it allocated
 * (docs/performance.md#decisions). The PEP — an app or a resource server — authenticates
 * with its own client credentials (HTTP Basic, as at /oauth/introspect), so it can still ask
 * while its org is stopped and its tokens are not issued; it decides only about subjects of
 * its own organization. Errors are problem+json, as on every /v1 and /access route.
 */
export function registerAuthzenRoutes(
  fastify: FastifyInstance,
  clients: ClientAuthenticator,
  authzen: AuthzenService,
): void {
  const route = <B>(
    path: string,
    schema: z.ZodType<B>,
    decide: (meta: RequestMeta, caller: DecisionCaller, body: B) => Promise<unknown>,
  ) =>
    fastify.post(path, { errorHandler: (err, req, reply) => sendProblem(req, reply, err) }, async (req, reply) => {
      const meta = requestMeta(req);
      const body = parseOrProblem(schema, req.body);
      const caller = await decisionCaller(clients, meta, req.headers.authorization);
      void reply.header('cache-control', 'no-store');
      return decide(meta, caller, body);
    });
  route(EVALUATION_PATH, evaluationRequest, (meta, caller, body) => authzen.evaluate(meta, caller, body));
  route(EVALUATIONS_PATH, evaluationsRequest, (meta, caller, body) => authzen.evaluations(meta, caller, body));
}

/**
 * The PEP, authenticated as an application of its org (a failure is a 401 problem). Its
 * decisions do not count against its token_rate_limit: a PEP asks once per request it
 * serves, and a decision is answered from memory (docs/control.md#authzen).
 */
async function decisionCaller(
  clients: ClientAuthenticator,
  meta: RequestMeta,
  authorization: string | undefined,
): Promise<DecisionCaller> {
  try {
    const client = await clients.authenticate(
      { params: FormParams.from([]), authorization, meta, responseHeaders: {} },
      { countTokenRate: false },
    );
    return { clientId: client.id, orgId: client.orgId };
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    throw new ProblemError(401, 'invalid_client', 'Client authentication failed', {
      detail: 'Authenticate with the application’s client_id and client_secret (HTTP Basic).',
      headers: { 'WWW-Authenticate': 'Basic realm="gatehouse"', ...err.headers },
    });
  }
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': {} } });
const decisionResponses = {
  '400': problem('The body is not an AuthZEN request'),
  '401': problem('Client authentication failed'),
  '415': problem('The body is not JSON'),
  '503': problem('The database is unavailable'),
};

/** The routes' OpenAPI entries: Nest's document generator only sees controllers. */
export const authzenRoutesOpenApi = {
  [EVALUATION_PATH]: {
    post: {
      operationId: 'AuthzenController_evaluation',
      tags: ['authzen'],
      summary: 'AuthZEN 1.0 Access Evaluation: may this subject perform this action on this resource now?',
      security: [{ basic: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(evaluationRequest) } } },
      responses: {
        '200': {
          description:
            '{decision, context: {decision_id, outcome, code?, reason_user?, reason_admin?, recovery?, approval_id?}}',
        },
        ...decisionResponses,
      },
    },
  },
  [EVALUATIONS_PATH]: {
    post: {
      operationId: 'AuthzenController_evaluations',
      tags: ['authzen'],
      summary: 'AuthZEN 1.0 Access Evaluations (batched; options.evaluations_semantic)',
      security: [{ basic: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(evaluationsRequest) } } },
      responses: { '200': { description: '{evaluations: [...]}' }, ...decisionResponses },
    },
  },
};
