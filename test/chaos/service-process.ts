/**
 * The service as a real process (src/server.ts) over a Postgres and a Redis of the test's own,
 * notifying `alipayPlusUrl`: what a chaos test SIGKILLs and starts again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_APP_JWT_SECRET, TEST_CLIENT_ID, TEST_OPS_TOKEN, testKeys } from '../support/harness.ts';
import { repoDir } from '../support/shared.ts';
import { freePort } from '../support/shared.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
}

/** Starts one instance; every child is pushed to `children` so afterAll can kill what is left. */
export async function startInstance(o: {
  postgresUrl: string;
  redisUrl: string;
  alipayPlusUrl: string;
  children: ChildProcess[];
  env?: Record<string, string>;
}): Promise<Instance> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'chaos-proc-')),
      DATABASE_URL: o.postgresUrl,
      REDIS_URL: o.redisUrl,
      ALIPAYPLUS_BASE_URL: o.alipayPlusUrl,
      ALIPAYPLUS_CLIENT_ID: TEST_CLIENT_ID,
      ALIPAYPLUS_PUBLIC_KEY: testKeys.aplusPublicPem,
      MPP_PRIVATE_KEY: testKeys.mppPrivatePem,
      OPS_API_TOKEN: TEST_OPS_TOKEN,
      APP_JWT_SECRET: TEST_APP_JWT_SECRET,
      LOG_LEVEL: 'warn',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  o.children.push(child);
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the service to listen',
    async () => {
      if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}: ${out.slice(-2000)}`);
      return (await fetch(`${url}/healthz`)).ok ? true : undefined;
    },
    40_000,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${out.slice(-2000)}`);
  });
  return { url, child, output: () => out };
}

export const kill9 = (i: Instance) =>
  new Promise<void>((resolve) => {
    i.child.once('exit', () => resolve());
    i.child.kill('SIGKILL');
  });
