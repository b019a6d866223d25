import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { loadPrivateKey, loadPublicKey, parseSignatureHeader, sign, signatureHeader, verify } from '../../src/alipayplus/signature.ts';
import { topUp } from '../support/cashier.ts';
import { createCustomer, TEST_APP_JWT_SECRET, TEST_CLIENT_ID, TEST_OPS_TOKEN, type TestApp, testApp } from '../support/harness.ts';
import { sharedSigningDir, repoDir } from '../support/shared.ts';

function cli(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/cli.ts', ...args], {
    cwd: repoDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const testKey = (f: string) => readFileSync(join(sharedSigningDir(), 'test-keys', f), 'utf8');

describe('npm run simulator', () => {
  it('serve: answers inquiryCodeRules signed with the dev keys it shares with the MPP in DATA_DIR, and stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sim-serve-'));
    const run = cli(['serve'], { DATA_DIR: dataDir, SIMULATOR_PORT: '0' });
    try {
      await waitFor(() => /listening on (http:\S+)/.test(run.output()), 25_000);
      const url = /listening on (http:\S+)/.exec(run.output())![1]!;
      // The MPP's dev key pair, created in DATA_DIR exactly as `npm start` would.
      const mppKey = loadPrivateKey(readFileSync(join(dataDir, 'dev-keys', 'mpp.dev.pkcs8.pem'), 'utf8'));
      const aplusPublic = loadPublicKey(readFileSync(join(dataDir, 'dev-keys', 'alipayplus.dev.pub.pem'), 'utf8'));
      const path = '/aps/api/v1/codes/inquiryCodeRules';
      const time = isoWithOffset(new Date());
      const value = await sign({ method: 'POST', uri: path, clientId: 'SANDBOX_CLIENT', time, body: '{}' }, mppKey);
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'client-id': 'SANDBOX_CLIENT', 'request-time': time, signature: signatureHeader('1', value) },
        body: '{}',
      });
      const raw = Buffer.from(await res.arrayBuffer());
      expect(JSON.parse(raw.toString()).result).toMatchObject({ resultStatus: 'S', resultCode: 'SUCCESS' });
      const sig = parseSignatureHeader(res.headers.get('signature') ?? undefined)!;
      expect(
        await verify(
          { method: 'POST', uri: path, clientId: res.headers.get('client-id')!, time: res.headers.get('response-time')!, body: raw },
          sig.signature,
          aplusPublic,
        ),
      ).toBe(true);
      await waitFor(() => run.output().includes('⇠ POST /aps/api/v1/codes/inquiryCodeRules'), 5_000);
      expect(run.output()).toContain('S SUCCESS');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 40_000);

  describe('against a running MPP', () => {
    let t: TestApp;
    let address: string;
    beforeAll(async () => {
      t = await testApp();
      address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => t.close());

    it('inquiry: prints the signed call and the verified F ORDER_NOT_EXIST, touching no dev material when keys are given', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
      const run = cli(['inquiry', '--id', 'no-such-payment'], {
        DATA_DIR: dataDir,
        MPP_BASE_URL: address,
        SIMULATOR_PRIVATE_KEY: testKey('aplus.pkcs8.pem'),
        MPP_PUBLIC_KEY: testKey('mpp.pub.pem'),
        ALIPAYPLUS_CLIENT_ID: TEST_CLIENT_ID,
      });
      expect(await run.exited).toBe(0);
      const out = run.output();
      expect(out).toContain('→ POST');
      expect(out).toContain('/alipayplus/v1/payments/inquiryPayment');
      expect(out).toContain('paymentRequestId: no-such-payment');
      expect(out).toMatch(/← HTTP 200 {2}F ORDER_NOT_EXIST .*signature of the answer ✓/);
      expect(existsSync(join(dataDir, 'dev-keys'))).toBe(false);
    }, 30_000);

    it('§9 pay-code and §10 bind: the merchant pays with a code at once; the agreement page binds with AGREEMENT_PAY', async () => {
      await createCustomer(t.app, 'CLI_SYNC', 'KRW');
      await topUp(t.app, 'CLI_SYNC', '5000');
      const env = {
        MPP_BASE_URL: address,
        SIMULATOR_PRIVATE_KEY: testKey('aplus.pkcs8.pem'),
        MPP_PUBLIC_KEY: testKey('mpp.pub.pem'),
        ALIPAYPLUS_CLIENT_ID: TEST_CLIENT_ID,
        APP_JWT_SECRET: TEST_APP_JWT_SECRET,
        OPS_API_TOKEN: TEST_OPS_TOKEN,
      };
      const paid = cli(['pay-code', '--customer', 'CLI_SYNC', '--code', '281500000000000000000001'], env);
      expect(await paid.exited, paid.output()).toBe(0);
      expect(paid.output()).toMatch(/← HTTP 200 {2}S SUCCESS .*signature of the answer ✓/);
      const bound = cli(['bind', '--customer', 'CLI_SYNC'], env);
      expect(await bound.exited, bound.output()).toBe(0);
      expect(bound.output()).toContain('AGREEMENT_PAY');
      expect(bound.output()).toMatch(/← HTTP 200 {2}S SUCCESS/);
    }, 60_000);

    it('exits 2 when the answer does not verify (the MPP signs with another key)', async () => {
      const run = cli(['inquiry', '--id', 'x'], {
        MPP_BASE_URL: address,
        SIMULATOR_PRIVATE_KEY: testKey('aplus.pkcs8.pem'),
        MPP_PUBLIC_KEY: testKey('aplus.pub.pem'),
        ALIPAYPLUS_CLIENT_ID: TEST_CLIENT_ID,
      });
      expect(await run.exited).toBe(2);
      expect(run.output()).toContain('signature of the answer ✗');
    }, 30_000);
  });

  it('refuses an unknown command or flag with the usage and exit 64', async () => {
    const run = cli(['pay', '--scenario', 'nope', '--customer', 'c'], { SIMULATOR_PRIVATE_KEY: testKey('aplus.pkcs8.pem'), MPP_PUBLIC_KEY: testKey('mpp.pub.pem') });
    expect(await run.exited).toBe(64);
    expect(run.output()).toContain('--scenario must be one of fx, same-currency, reverse-pair, surcharge, promo, expiry');
    expect(run.output()).toContain('usage: npm run simulator');
  }, 30_000);
});
