/**
 * buildApp(deps) -> a Fastify instance: plugins first, then the routes of each audience.
 * Repositories and use cases are built here once and passed to the routes; nothing is hung on
 * the Fastify instance. server.ts is the only file that builds a process around it.
 */
import { randomUUID } from 'node:crypto';
import sensible from '@fastify/sensible';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { customerUseCases } from './domain/customers/use-cases.ts';
import { result } from './domain/errors.ts';
import type { Clock, KeyValueStore } from './domain/ports.ts';
import { installEnvelope } from './http/alipayplus/envelope.ts';
import { registerDocs } from './http/docs.ts';
import { paymentRoutes } from './http/alipayplus/payments.ts';
import { createMetrics, installMetrics, type Metrics } from './http/metrics.ts';
import { requireAppUser } from './http/app/auth.ts';
import { requireOpsToken } from './http/ops/auth.ts';
import type { Job } from './jobs/loop.ts';
import { customerRoutes } from './http/ops/customers.ts';
import { httpStatusFor, mapError } from './http/result-mapper.ts';
import { customerRepository } from './persistence/customers-repository.ts';
import { type DatabaseHandle, pingDatabase } from './persistence/database.ts';
import { paymentQueries } from './persistence/payments-repository.ts';
import type { Secrets } from './secrets.ts';

export interface AppDeps {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly database: DatabaseHandle;
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  /** pino options or false; tests pass false. */
  readonly logger?: boolean | Record<string, unknown>;
  /** Extra readiness checks (code rules loaded, ...), each throwing when not ready. */
  readonly readinessChecks?: Readonly<Record<string, () => Promise<void>>>;
}

export interface BuiltApp {
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  /** Background jobs (sweeper, notify dispatcher, code-rule refresher); server.ts runs them. */
  readonly jobs: readonly Job[];
}

/** Never log a secret: keys, tokens, auth codes, signatures, cashier links. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.signature',
  'req.headers.cookie',
  '*.accessToken',
  '*.refreshToken',
  '*.authCode',
  '*.privateKey',
  '*.codeValue',
  '*.paymentUrl',
];

export function loggerOptions(config: Config): Record<string, unknown> {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // The cashier path holds the payment's link token: log the route, not the URL.
      req: (req: { method: string; url: string; id: string; routeOptions?: { url?: string } }) => ({
        method: req.method,
        url: req.url.startsWith('/cashier/') ? '/cashier/[redacted]' : req.url.split('?')[0],
        id: req.id,
      }),
    },
  };
}

export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const { config, secrets, database, kv, clock } = deps;
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    // A request id from the caller (bounded) or our own, on every log line.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await app.register(sensible);

  const metrics = createMetrics();
  installMetrics(app, metrics);

  // App and ops routes: 4xx/5xx with a `{result}` body and a reason; never a stack trace.
  app.setErrorHandler(async (err, req, reply) => {
    const { result: r, unexpected } = mapError(err);
    if (unexpected) req.log.error({ err }, 'unexpected error');
    else req.log.warn({ resultCode: r.resultCode, reason: r.resultMessage }, 'request refused');
    return reply.code(httpStatusFor(r, err)).send({ result: r });
  });
  app.setNotFoundHandler(async (req, reply) =>
    reply.code(404).send({ result: result('PARAM_ILLEGAL', `No route ${req.method} ${req.url.split('?')[0]}`) }),
  );

  const db = database.db;
  const customers = customerUseCases(customerRepository(db));
  const jobs: Job[] = [];

  // GET /docs: openapi.yaml as interactive documentation.
  await registerDocs(app, { publicBaseUrl: config.publicBaseUrl });

  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const checks: Record<string, () => Promise<void>> = {
      database: () => pingDatabase(db),
      redis: () => kv.ping(),
      ...deps.readinessChecks,
    };
    const status: Record<string, string> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          status[name] = 'ok';
        } catch (err) {
          status[name] = err instanceof Error ? err.message.slice(0, 200) : 'failed';
        }
      }),
    );
    const ready = Object.values(status).every((s) => s === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: status });
  });

  await app.register(
    async (alipayplus) => {
      installEnvelope(alipayplus, {
        clientId: config.alipayPlusClientId,
        pspId: config.pspId,
        mppPrivateKey: secrets.mppPrivateKey,
        mppKeyVersion: config.mppKeyVersion,
        alipayPlusPublicKeys: secrets.alipayPlusPublicKeys,
        maxSkewSeconds: config.signatureMaxSkewSeconds,
        bodyLimitBytes: config.bodyLimitBytes,
        now: () => clock.now(),
      });
      await alipayplus.register(paymentRoutes, { payments: paymentQueries(db) });
    },
    { prefix: '/alipayplus/v1' },
  );

  await app.register(
    async (ops) => {
      requireOpsToken(ops, secrets.opsApiToken);
      await ops.register(customerRoutes, { customers });
    },
    { prefix: '/ops/v1' },
  );

  await app.register(
    async (appRoutes) => {
      requireAppUser(appRoutes, { secret: secrets.appJwtSecret, now: () => clock.now() });
      void appRoutes;
    },
    { prefix: '/app/v1' },
  );

  return { app, metrics, jobs };
}
