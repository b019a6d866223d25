/**
 * buildApp(deps) -> a Fastify instance: options and logging, the cross-cutting hooks, the error
 * handlers, health, then one plugin per audience. Repositories, use cases and jobs are built once
 * in wiring.ts; start() runs the start-up work (code rules loaded, jobs started) that server.ts
 * calls before it listens. server.ts is the only file that builds a process around it.
 */
import sensible from '@fastify/sensible';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { RemoteCodeIdentification, RemoteCodeRules } from './domain/codes/ports.ts';
import type { Clock, KeyValueStore } from './domain/ports.ts';
import { alipayPlusAudience } from './http/alipayplus/index.ts';
import { appAudience } from './http/app/index.ts';
import type { AudienceOptions } from './http/audience.ts';
import { cashierAudience } from './http/cashier/index.ts';
import { registerDocs } from './http/docs.ts';
import { installErrorHandlers } from './http/error-handlers.ts';
import { installHandlerTimeout } from './http/handler-timeout.ts';
import { healthRoutes } from './http/health.ts';
import { createMetrics, installMetrics, type Metrics } from './http/metrics.ts';
import { opsAudience } from './http/ops/index.ts';
import { registerRateLimiter } from './http/rate-limit.ts';
import { fastifyOptions, installSecurityHeaders } from './http/server-options.ts';
import { type Job, type RunningJob, startJob } from './jobs/loop.ts';
import { type DatabaseHandle, pingDatabase } from './persistence/database.ts';
import type { Secrets } from './secrets.ts';
import { wire } from './wiring.ts';

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
  /** §6 inquiryCodeRules source; default: signed calls to ALIPAYPLUS_BASE_URL when set. null: none. */
  readonly codeRulesSource?: RemoteCodeRules | null;
  /** Remote identification of untrusted code rules; default: ALIPAYPLUS_IDENTIFY_URL when set. null: none. */
  readonly remoteCodeIdentification?: RemoteCodeIdentification | null;
  /** §6 preset code rules; default: src/adapters/code-rules-preset.json. */
  readonly presetCodeRules?: () => Promise<unknown>;
}

export interface BuiltApp {
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  /** Background jobs (sweeper, notify dispatcher, code-rule refresher, code-list poller). */
  readonly jobs: readonly Job[];
  /**
   * Start-up work, before listening: code rules loaded (throws when none loads: the app is closed),
   * code lists warmed; with `runJobs`, every job started on its loop (stopped by stopJobs()).
   */
  start(o?: { readonly runJobs?: boolean }): Promise<{ stopJobs(): Promise<void> }>;
}

export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const { config, secrets, database, kv, clock } = deps;
  const app = Fastify(fastifyOptions(config, deps.logger));
  installHandlerTimeout(app, config.handlerTimeoutMs);
  await app.register(sensible);
  // @fastify/rate-limit, counted in `kv` on the injected clock; each audience installs its limit.
  await registerRateLimiter(app, { kv, now: () => clock.now().getTime() });
  installSecurityHeaders(app);
  const metrics = createMetrics();
  installMetrics(app, metrics);
  installErrorHandlers(app);

  const wiring = wire({ ...deps, metrics, log: app.log });
  const audience: AudienceOptions = { config, secrets, kv, clock, services: wiring.services };

  await registerDocs(app, { publicBaseUrl: config.publicBaseUrl });
  await app.register(healthRoutes, {
    readyzLimit: { limit: config.rateLimitPublicPerMinute, windowMs: 60_000, scope: 'readyz' },
    checks: {
      database: () => pingDatabase(database.db),
      redis: () => kv.ping(),
      codeRules: () => wiring.codeRules.assertReady(),
      ...deps.readinessChecks,
    },
  });
  await app.register(alipayPlusAudience, { ...audience, prefix: '/alipayplus/v1' });
  await app.register(cashierAudience, { ...audience, prefix: '/cashier' });
  await app.register(opsAudience, { ...audience, prefix: '/ops/v1' });
  await app.register(appAudience, { ...audience, prefix: '/app/v1' });

  async function start(o: { readonly runJobs?: boolean } = {}) {
    await wiring.startUp().catch(async (err: unknown) => {
      await app.close();
      throw err;
    });
    const running: RunningJob[] = o.runJobs ? wiring.jobs.map((job) => startJob(job, { clock, idleMs: 1000, log: app.log })) : [];
    return { stopJobs: async () => void (await Promise.all(running.map((j) => j.stop()))) };
  }

  return { app, metrics, jobs: wiring.jobs, start };
}
