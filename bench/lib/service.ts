/**
 * The service under test, started as `npm start` runs it (the build in dist/, plain node) on the
 * bench database, with the shared test keys and fixed bench credentials; and the helper processes
 * around it (the floor server, the fake Alipay+).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoDir, sharedSigningDir } from '../../test/support/shared.ts';
import { type Child, freePort, jsonLine, startChild, waitForHttp, waitForLine } from './processes.ts';
import { ProcessSampler } from './sampler.ts';

export const BENCH_CLIENT_ID = 'BENCH_CLIENT';
export const BENCH_PSP_ID = '1022088000000000001';
export const BENCH_ACQUIRER_ID = '2052666000000000';
export const BENCH_OPS_TOKEN = 'bench-ops-token-not-a-secret-00000000';
export const BENCH_APP_JWT_SECRET = 'bench-app-jwt-secret-not-a-secret-0000000000';

const keyFile = (name: string) => join(sharedSigningDir(), 'test-keys', name);

/** The shared throwaway test keys: `aplus` plays Alipay+, `mpp` is the service. */
export const benchKeys = {
  aplusPrivatePath: keyFile('aplus.pkcs8.pem'),
  aplusPublicPath: keyFile('aplus.pub.pem'),
  mppPrivatePath: keyFile('mpp.pkcs8.pem'),
  mppPublicPath: keyFile('mpp.pub.pem'),
};
const pem = (path: string) => readFileSync(path, 'utf8');

/** The service's default thread pool size, the one package.json's start script gives it. */
export const SERVICE_THREADPOOL_SIZE = '1';

/** What `npm start` runs, after `npm run build` (the bench builds first: see run.ts). */
export const SERVICE_SCRIPT = 'dist/src/server.js';

/** The node flags of package.json's start script (`node --a --b=1 dist/...`), so the bench runs the service as `npm start` does. */
export function startScriptNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf(SERVICE_SCRIPT)).filter((w) => w.startsWith('--'));
}

export interface ServiceEnvOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly alipayPlusBaseUrl: string;
  readonly jobsEnabled?: boolean;
}

/** The service's environment (service-interface.md names); also used to build the app in-process. */
export function serviceEnv(o: ServiceEnvOptions): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    HOST: '127.0.0.1',
    PORT: String(o.port),
    DATA_DIR: o.dataDir,
    LOG_LEVEL: 'warn',
    MPP_PSP_ID: BENCH_PSP_ID,
    MPP_PRIVATE_KEY: pem(benchKeys.mppPrivatePath),
    ALIPAYPLUS_PUBLIC_KEY: pem(benchKeys.aplusPublicPath),
    ALIPAYPLUS_CLIENT_ID: BENCH_CLIENT_ID,
    ALIPAYPLUS_BASE_URL: o.alipayPlusBaseUrl,
    OPS_API_TOKEN: BENCH_OPS_TOKEN,
    APP_JWT_SECRET: BENCH_APP_JWT_SECRET,
    // The bench is one client: per-client rate limits would measure the limiter, not the service.
    RATE_LIMIT_APP_PER_MINUTE: '0',
    RATE_LIMIT_OPS_PER_MINUTE: '0',
    // RATE_LIMIT_ALIPAYPLUS_PER_MINUTE (600,000 per peer) and RATE_LIMIT_PUBLIC_PER_MINUTE stay at
    // their defaults: far above the bench's rate, so they never refuse, but their per-request cost
    // (one Redis round trip on every Alipay+ request) is measured as production pays it.
    JOBS_ENABLED: o.jobsEnabled ? 'true' : 'false',
    // As `npm start` runs it (see README, "Signing threads"); the floors keep Node's default.
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? SERVICE_THREADPOOL_SIZE,
  };
}

export interface RunningService {
  readonly name: string;
  readonly url: string;
  readonly child: Child;
  readonly sampler: ProcessSampler;
  stop(): Promise<void>;
}

export async function startService(o: Omit<ServiceEnvOptions, 'port'> & { name: string; logDir: string; nodeArgs?: readonly string[] }): Promise<RunningService> {
  const port = await freePort();
  const child = startChild({
    name: o.name,
    script: SERVICE_SCRIPT,
    nodeArgs: [...startScriptNodeFlags(), ...(o.nodeArgs ?? [])],
    env: serviceEnv({ ...o, port }),
    logDir: o.logDir,
  });
  const url = `http://127.0.0.1:${port}`;
  // /readyz: database, Redis and (once identification is merged) the code rules are ready.
  await waitForHttp(child, `${url}/readyz`, 60_000);
  const sampler = new ProcessSampler(child.pid).start();
  return {
    name: o.name,
    url,
    child,
    sampler,
    async stop() {
      sampler.stop();
      await child.stop();
    },
  };
}

export interface HelperProcess {
  readonly url: string;
  readonly child: Child;
  /** Only the floor server reports it: `SHOW synchronous_commit` on its pool. */
  readonly synchronousCommit?: string;
  readonly sampler: ProcessSampler;
}

export async function startFloorServer(o: { databaseUrl: string; logDir: string }): Promise<HelperProcess> {
  const port = await freePort();
  const child = startChild({
    name: 'floor-server',
    script: 'bench/floor-server.ts',
    env: {
      DATABASE_URL: o.databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      MPP_PRIVATE_KEY: pem(benchKeys.mppPrivatePath),
      ALIPAYPLUS_PUBLIC_KEY: pem(benchKeys.aplusPublicPath),
      ALIPAYPLUS_CLIENT_ID: BENCH_CLIENT_ID,
    },
    logDir: o.logDir,
  });
  const ready = await waitForLine(
    child,
    jsonLine<{ ready: boolean; synchronousCommit: string }>((v) => v.ready),
    30_000,
  );
  return { url: `http://127.0.0.1:${port}`, child, synchronousCommit: ready.synchronousCommit, sampler: new ProcessSampler(child.pid).start() };
}

export async function startFakeAlipayPlus(o: { rules: number; rulesVersion: string; logDir: string }): Promise<HelperProcess> {
  const port = await freePort();
  const child = startChild({
    name: 'fake-alipayplus',
    script: 'bench/fake-alipayplus.ts',
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      ALIPAYPLUS_PRIVATE_KEY: pem(benchKeys.aplusPrivatePath),
      MPP_PUBLIC_KEY: pem(benchKeys.mppPublicPath),
      BENCH_RULES: String(o.rules),
      BENCH_RULES_VERSION: o.rulesVersion,
    },
    logDir: o.logDir,
  });
  await waitForLine(
    child,
    jsonLine<{ ready: boolean }>((v) => v.ready),
    30_000,
  );
  return { url: `http://127.0.0.1:${port}`, child, sampler: new ProcessSampler(child.pid).start() };
}
