/**
 * The service's background jobs, run in this process on the bench database: the app is built
 * in-process with the service's own environment (buildApp returns its jobs, STYLE.md: jobs are
 * `runOnce(now)` + a loop), and a scenario drives a job's runOnce itself to time it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RedisStore } from '../../src/adapters/redis-store.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { systemClock } from '../../src/domain/ports.ts';
import type { Job } from '../../src/jobs/loop.ts';
import { createDatabase } from '../../src/persistence/database.ts';
import { resolveSecrets } from '../../src/secrets.ts';
import { repoDir } from '../../test/support/shared.ts';
import type { BenchContext } from './context.ts';
import { serviceEnv } from './service.ts';

export interface InProcessJobs {
  readonly jobs: readonly Job[];
  find(pattern: RegExp): Job | undefined;
  close(): Promise<void>;
}

export const moduleExists = (relative: string) => existsSync(join(repoDir, relative));

export async function inProcessJobs(ctx: BenchContext): Promise<InProcessJobs> {
  const env = serviceEnv({
    databaseUrl: ctx.db.url,
    redisUrl: ctx.redisUrl,
    port: 0,
    dataDir: join(ctx.logDir, 'in-process'),
    alipayPlusBaseUrl: ctx.fake.url,
    jobsEnabled: true,
  });
  const config = loadConfig({ ...env, LOG_LEVEL: 'error' });
  // The service's own application_name: these are its jobs, and the sweeper gives way to the
  // sessions that carry it (DatabaseLoad).
  const database = createDatabase({ url: config.databaseUrl, poolSize: config.dbPoolSize });
  const kv = new RedisStore(ctx.redisUrl);
  const { app, jobs } = await buildApp({ config, secrets: resolveSecrets(config), database, kv, clock: systemClock, logger: false });
  return {
    jobs,
    find: (pattern) => jobs.find((j) => pattern.test(j.name)),
    async close() {
      await app.close();
      await database.close();
      await kv.close();
    },
  };
}

/** Calls runOnce until a run finds nothing (or `until` says stop); returns what it handled. */
export async function drain(job: Job, o: { until?: () => boolean; maxSeconds: number }): Promise<{ handled: number; seconds: number; batches: number }> {
  const t0 = performance.now();
  let handled = 0;
  let batches = 0;
  while ((performance.now() - t0) / 1000 < o.maxSeconds && !o.until?.()) {
    const n = await job.runOnce(systemClock.now());
    batches++;
    if (n === 0) break;
    handled += n;
  }
  return { handled, seconds: (performance.now() - t0) / 1000, batches };
}
