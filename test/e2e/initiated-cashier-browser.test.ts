/**
 * §8 in a real browser: a simulator order code is initiated by the app (`POST
 * /app/v1/payments/initiate`), then headless Chromium (playwright-core), acting as the app's
 * webview with the user's JWT, opens the cashier link the app got, presses Pay and sees the
 * payment succeed; the simulator then receives a signed notifyPayment. Screenshot:
 * test-artifacts/initiated-cashier.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueOrderCode } from '../../src/simulator/order-codes.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { balanceOf, topUp } from '../support/cashier.ts';
import { appJwt, createCustomer, type TestApp, testApp } from '../support/harness.ts';
import { initiate, startTestSimulator } from '../support/initiate.ts';
import { repoDir } from '../support/shared.ts';

const C = 'C_INITIATED_BROWSER';
let t: TestApp;
let sim: RunningSimulator;
let browser: Browser;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  sim = await startTestSimulator();
  const port = await freePort();
  t = await testApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, ALIPAYPLUS_BASE_URL: sim.url } });
  await t.app.listen({ host: '127.0.0.1', port });
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '5000');
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await sim?.close();
});

it('the app initiates an order code; its webview opens our cashier, presses Pay; debited once, notifyPayment reaches Alipay+', async () => {
  const started = await initiate(t.app, C, issueOrderCode({ scenario: 'fx' }));
  expect(started.status).toBe(200);
  const paymentUrl = started.body.paymentUrl as string;
  expect(paymentUrl.startsWith(t.config.publicBaseUrl)).toBe(true);

  // The app's webview presents the logged-in user's JWT (contract §5, "the cashier knows who pays").
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, extraHTTPHeaders: { authorization: `Bearer ${await appJwt(C)}` } });
  const page = await context.newPage();
  try {
    await page.goto(paymentUrl);
    await expect.poll(() => page.textContent('#total')).toContain('KRW 1000');
    const dir = join(repoDir, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'initiated-cashier.png'), fullPage: true });
    await page.click('#pay');
    await expect.poll(() => page.getAttribute('[data-status]', 'data-status')).toBe('SUCCESS');
  } finally {
    await context.close();
  }
  expect(await balanceOf(t.app, C)).toBe(4000n);

  await t.jobs.find((j) => j.name.includes('notify'))!.runOnce(new Date());
  const note = await sim.notifications.waitFor((n) => (n.body as { paymentRequestId?: string }).paymentRequestId === started.body.paymentRequestId, 5000);
  expect(note).toMatchObject({ signatureValid: true, problems: [] });
  expect(note.body).toMatchObject({ paymentId: started.body.paymentId, customerId: C, paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' } });
}, 60_000);
