import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { realPostgres, testDatabase, testKeys, TEST_APP_JWT_SECRET, TEST_OPS_TOKEN } from '../support/harness.ts';
import { repoDir } from '../support/shared.ts';

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  return { child, output: () => out };
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the service process', () => {
  it('starts on the embedded defaults, serves /healthz and prints where its data and dev keys are', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mpp-proc-'));
    const { child, output } = start({ DATA_DIR: dataDir, PORT: '0', JOBS_ENABLED: 'false' });
    try {
      await waitFor(() => /"url":"(http:[^"]+)"/.test(output()), 60_000);
      const url = /"url":"(http:[^"]+)"/.exec(output())![1]!;
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(output()).toContain(`embedded PGlite in ${dataDir}`);
      expect(output()).toContain(join(dataDir, 'dev-keys', 'mpp.dev.pkcs8.pem'));
      const done = exited(child);
      child.kill('SIGTERM');
      expect(await done).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  it('refuses to start on bad configuration, naming every bad variable in one message', async () => {
    const { child, output } = start({ PORT: 'abc', ACCESS_TOKEN_TTL_SECONDS: '600', CODE_IDENTIFICATION_MODE: 'MAYBE' });
    const code = await exited(child);
    expect(code).toBe(78);
    const text = output();
    expect(text).toContain('Bad configuration');
    expect(text).toContain('PORT');
    expect(text).toContain('ACCESS_TOKEN_TTL_SECONDS');
    expect(text).toContain('CODE_IDENTIFICATION_MODE');
    expect(text.match(/Bad configuration/g)).toHaveLength(1);
  }, 30_000);

  it('fails closed in production: DATABASE_URL without the secrets stops start-up, names them, generates nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mpp-proc-'));
    const { child, output } = start({ DATA_DIR: dataDir, PORT: '0', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/never_used' });
    expect(await exited(child)).toBe(78);
    const text = output();
    expect(text.match(/Bad configuration/g)).toHaveLength(1);
    for (const name of ['MPP_PRIVATE_KEY', 'ALIPAYPLUS_PUBLIC_KEY', 'APP_JWT_SECRET', 'OPS_API_TOKEN']) expect(text).toContain(name);
    expect(text).not.toContain('dev only');
    expect(existsSync(join(dataDir, 'dev-keys'))).toBe(false);
  }, 30_000);

  it('the embedded default prints its generated secrets; a configured production start prints none', async () => {
    const embeddedDir = mkdtempSync(join(tmpdir(), 'mpp-proc-'));
    const embedded = start({ DATA_DIR: embeddedDir, PORT: '0', JOBS_ENABLED: 'false' });
    try {
      await waitFor(() => /"url":"(http:[^"]+)"/.test(embedded.output()) && embedded.output().includes('ops API token'), 60_000);
      expect(embedded.output()).toContain('dev only');
    } finally {
      embedded.child.kill('SIGKILL');
    }
    if (!realPostgres) return; // the production half needs the real Postgres (CI provides it)
    const dataDir = mkdtempSync(join(tmpdir(), 'mpp-proc-'));
    // A migrated schema of its own (migrating is the operator's step), named in the URL's options.
    const db = await testDatabase();
    const url = new URL(process.env.DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${(db as { schema: string }).schema}`);
    const prod = start({
      DATA_DIR: dataDir,
      PORT: '0',
      JOBS_ENABLED: 'false',
      DATABASE_URL: url.toString(),
      MPP_PRIVATE_KEY: testKeys.mppPrivatePem,
      ALIPAYPLUS_PUBLIC_KEY: testKeys.aplusPublicPem,
      APP_JWT_SECRET: TEST_APP_JWT_SECRET,
      OPS_API_TOKEN: TEST_OPS_TOKEN,
    });
    try {
      await waitFor(() => /"url":"(http:[^"]+)"/.test(prod.output()) || /Bad configuration|Error/.test(prod.output()), 60_000);
      expect(prod.output()).toMatch(/"url":"http:/);
      expect(prod.output()).not.toContain('dev only');
      expect(prod.output()).not.toContain(TEST_OPS_TOKEN);
      expect(existsSync(join(dataDir, 'dev-keys'))).toBe(false);
    } finally {
      prod.child.kill('SIGKILL');
      await db.close();
    }
  }, 120_000);
});
