import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger as Pino } from 'pino';
import pinoPretty from 'pino-pretty';
import { traceFields } from '../telemetry/tracing';

/**
 * Structured JSON logs (pino), one logger for Fastify's request lines and Nest's own
 * messages. The request id lives in an AsyncLocalStorage entered in Fastify's onRequest
 * hook, so every line written while serving a request carries it — including lines from
 * services that know nothing about HTTP.
 */
export const requestStore = new AsyncLocalStorage<{ requestId: string }>();

/** Field names whose values never reach a log line, at any depth pino's redact can express. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.client_secret',
  '*.refresh_token',
  '*.access_token',
  '*.mfa_token',
  // The policy step of user sign-in (docs/control.md#policy).
  '*.policy_token',
  // Token exchange: subject and actor tokens, managed tokens (`ghm_…`) among them.
  '*.subject_token',
  '*.actor_token',
  // TOTP codes arrive in request bodies; `err.code` (ECONNREFUSED, a SQLSTATE) must stay
  // readable, so no `*.code` (docs/reliability.md#logs).
  'body.code',
  '*.body.code',
  'req.body.code',
  '*.totp_code',
  '*.secret',
  '*.totp',
  'password',
  'client_secret',
  'refresh_token',
  'access_token',
  'mfa_token',
  'policy_token',
  'subject_token',
  'actor_token',
  'secret',
];

/**
 * The human format (docs/reliability.md#logs): `21:54:14.764 INFO  [Runtime] message`, extra
 * fields on the lines below. Synchronous, like pino's default stdout destination, so a line
 * written just before the process exits is not lost.
 */
function prettyStream(destination: NodeJS.WritableStream): pino.DestinationStream {
  return pinoPretty({
    destination,
    sync: true,
    colorize: (destination as { isTTY?: boolean }).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context,urls,first_admin_command,trace_id,span_id',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  });
}

export function createRootLogger(
  level: string,
  stream: NodeJS.WritableStream = process.stdout,
  format: 'json' | 'pretty' = 'json',
): Pino {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        // Fastify says "Server listening at …" once per worker; the start-up banner says it
        // once for all of them (docs/reliability.md#logs), so Fastify's line goes to debug.
        logMethod(args, method, levelValue) {
          if (levelValue === 30 && typeof args[0] === 'string' && args[0].startsWith('Server listening at '))
            return this.debug(...(args as [string]));
          return method.apply(this, args);
        },
      },
      redact: { paths: REDACT, censor: '[redacted]' },
      mixin: (_merge: object, _level: number, logger: Pino) => {
        const store = requestStore.getStore();
        // Fastify's request child loggers already bind request_id.
        const ids = store && !('request_id' in logger.bindings()) ? { request_id: store.requestId } : {};
        // docs/reliability.md#traces: a line written inside a traced request names its trace.
        const trace = traceFields();
        return trace ? { ...ids, ...trace } : ids;
      },
      serializers: {
        // Paths only: query strings can carry anything a client typed.
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          path: String(req.url).split('?')[0],
          ip: req.ip,
        }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    format === 'pretty' ? prettyStream(stream) : (stream as pino.DestinationStream),
  );
}

/**
 * Nest's own start-up chatter (one line per module and per route, about 250 lines) is for
 * whoever debugs the wiring, not for an operator: it goes out at debug level
 * (docs/reliability.md#logs).
 */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** Nest's LoggerService on top of the root pino logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Pino) {}

  log(message: unknown, ...rest: unknown[]) {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]) {
    // Nest passes (message, context) or (message, stack, context); services pass (object, message).
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      const text = typeof rest[0] === 'string' && rest.length > 1 ? rest[0] : undefined;
      this.root[level]({ context, ...(message as object) }, text ?? '');
    } else if (message instanceof Error) {
      this.root[level]({ context, err: message }, message.message);
    } else {
      this.root[level]({ context }, String(message));
    }
  }
}
