import { GatedAccess } from '@gatehouse/tokens';
import { NestFactory } from '@nestjs/core';
import { AuditService } from '@gatehouse/audit';
import { CacheListener, DB_TIMEOUTS, withDatabaseDeadline } from '@gatehouse/db';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { newId } from '@gatehouse/core';
import { AuthzenService, StripeWebhookService } from '@gatehouse/control';
import { KeyRotationService, SigningKeyService } from '@gatehouse/keys';
import { ClientAuthenticator, TokenEndpoint } from '@gatehouse/oauth';
import { LogController } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AppModule, type AppOptions } from './app.module';
import { registerConsole } from './console/console-static';
import { FastRoutes } from './http/fast-routes';
import { registerAuthzenRoutes } from './http/authzen.route';
import { registerImageParser } from './http/image-body';
import { registerFormParser } from './http/form-body';
import { registerJwksRoute } from './http/jwks.route';
import { setUpOpenApi } from './http/openapi';
import { plainRoutesOpenApi } from './http/openapi-document';
import { registerStripeWebhookRoute } from './http/stripe-webhook.route';
import { registerTokenRoute } from './http/token.route';
import { createRootLogger, NestPinoLogger, requestStore } from './logging/logger';
import {
  accessDecisions,
  auditFlushRows,
  auditFlushSeconds,
  instrument,
  setDependencyProbe,
  setKeyProbe,
} from './metrics/metrics';
import { ReadinessService } from './readiness.service';
import { registerRequestSpanEnd, startRequestSpan } from './telemetry/http-spans';
import { tracingEnabled } from './telemetry/tracing';
import type { Runtime } from './runtime';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is sane, so traces join up across services. */
function genReqId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : newId('token').replace('jti_', 'req_');
}

const appLoggers = new WeakMap<NestFastifyApplication, NestPinoLogger>();

/**
 * Nest keeps one process-wide logger, replaced by every app or context created later
 * (the CLI's, in a test process). This puts this app's logger back.
 */
export function restoreAppLogger(app: NestFastifyApplication): void {
  const logger = appLoggers.get(app);
  if (logger) app.useLogger(logger);
}

/** Builds the Gatehouse HTTP application (used by main.ts and by the end-to-end tests). */
export async function createGatehouseApp(rt: Runtime, opts: AppOptions = {}): Promise<NestFastifyApplication> {
  const root = createRootLogger(rt.config.logLevel, opts.logStream, rt.config.logFormat);
  const fast = new FastRoutes();
  const adapter = new FastifyAdapter({
    serverFactory: fast.serverFactory,
    bodyLimit: rt.config.bodyLimitBytes,
    trustProxy: rt.config.trustProxy,
    loggerInstance: root,
    genReqId,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
  });
  const nestLogger = new NestPinoLogger(root);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(rt, opts), adapter, {
    logger: nestLogger,
    abortOnError: false,
    // No default form/urlencoded parser: the management API is JSON only (415 otherwise).
    // Protocol routes that take forms (/oauth/*) register their own parser.
    bodyParser: false,
  });
  appLoggers.set(app, nestLogger);
  const fastify = app.getHttpAdapter().getInstance();
  const caches = app.get(CacheListener);
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    // The protocol endpoints read the client and control caches before any change of their
    // own to them: one sync round trip serves all of a request's reads (docs/control.md#live).
    const protocol = req.url.startsWith('/oauth/') || req.url.startsWith('/access/');
    // docs/reliability.md#every-request-answered-within-3-s: every database wait made for this
    // request shares one deadline, so it is answered within 3 s even when PostgreSQL hangs.
    const next = () =>
      withDatabaseDeadline(Date.now() + DB_TIMEOUTS.requestMs, () =>
        requestStore.run({ requestId: req.id }, protocol ? () => caches.shareSync(done) : done),
      );
    // docs/reliability.md#traces: a server span around the rest of the request, when tracing is on.
    if (tracingEnabled()) startRequestSpan(req, next);
    else next();
  });
  registerRequestSpanEnd(fastify);
  // The API speaks JSON only; a text/plain body is a 415, not a string to guess at.
  fastify.removeContentTypeParser(['text/plain']);
  registerFormParser(fastify);
  registerImageParser(fastify);
  fastify.addHook('preClose', (done) => {
    fast.close();
    done();
  });
  // docs/reliability.md#metrics
  instrument(fastify);
  app.get(AuditService).onFlushed((rows, seconds, ok) => {
    auditFlushRows.observe(rows);
    auditFlushSeconds.observe({ ok: String(ok) }, seconds);
  });
  setDependencyProbe(() => app.get(ReadinessService).check());
  app.get(GatedAccess).onDecision((request, d) =>
    accessDecisions.inc({
      point: request.point,
      outcome: d.outcome,
      reason: d.outcome === 'allow' ? 'none' : d.reason,
    }),
  );
  setKeyProbe(async () => {
    const list = await app.get(KeyRotationService).snapshot();
    return { keys: list.keys, next_rotation_at: list.rotation.next_rotation_at };
  });
  registerJwksRoute(fastify, fast, app.get(SigningKeyService), genReqId);
  registerTokenRoute(fastify, app.get(TokenEndpoint));
  registerStripeWebhookRoute(fastify, app.get(StripeWebhookService));
  registerAuthzenRoutes(fastify, app.get(ClientAuthenticator), app.get(AuthzenService));
  await registerConsole(fastify);
  setUpOpenApi(app, rt.config.issuer, plainRoutesOpenApi);
  await app.init();
  return app;
}
