/**
 * §8 in a real browser: a simulator order code is initiated by the app (`POST
 * /app/v1/payments/initiate`), then headless Chromium (playwright-core), acting as the app's
 * webview with the user's JWT on the first GET (exchanged for the mpp_cashier session cookie, as
 * in cashier-browser), opens the cashier link the app got, presses Pay and sees the payment
 * succeed; the simulator then receives a signed notifyPayment. Another user of the app opening
 * the same link sees the order without Pay, and a forged Pay changes nothing. Screenshot:
 * test-artifacts/initiated-cashier.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueOrderCode } from '../../src/simulator/order-codes.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { launchChromium, openCashierAs, postFormFromPage } from '../support/browser.ts';
import { balanceOf, openAsPayer, topUp } from '../support/cashier.ts';
import { createCustomer, type TestApp, testApp } from '../support/harness.ts';
import { initiate, startTestSimulator } from '../support/initiate.ts';
import { freePort, repoDir } from '../support/shared.ts';

const C = 'C_INITIATED_BROWSER';
const OTHER = 'C_INITIATED_BROWSER_OTHER';
let t: TestApp;
let sim: RunningSimulator;
let browser: Browser;

beforeAll(async () => {
  sim = await startTestSimulator();
  const port = await freePort();
  t = await testApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, ALIPAYPLUS_BASE_URL: sim.url } });
  await t.app.listen({ host: '127.0.0.1', port });
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '5000');
  browser = await launchChromium();
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

  // As the app's webview opens it (§5, issue 16), the same way as cashier-browser: the user's app
  // JWT as a bearer header on the first GET only; the session cookie it is exchanged for carries
  // the Pay POST.
  const { context, page } = await openCashierAs(browser, paymentUrl, C);
  try {
    const cookies = await context.cookies(paymentUrl);
    expect(cookies.find((c) => c.name === 'mpp_cashier')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: new URL(paymentUrl).pathname });
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

it('another user of the app opening the initiated link: the order, "open this in the wallet app", no Pay; a forged Pay changes nothing', async () => {
  await createCustomer(t.app, OTHER, 'KRW');
  const started = await initiate(t.app, C, issueOrderCode({ scenario: 'fx' }));
  const paymentUrl = started.body.paymentUrl as string;
  const before = await balanceOf(t.app, C);
  const { context, page } = await openCashierAs(browser, paymentUrl, OTHER);
  try {
    expect(await page.textContent('#open-in-app')).toContain('Open this payment in the wallet app');
    expect(await page.$('#pay')).toBeNull();
    // A Pay posted from this browser anyway, with the payer's own valid csrf field: 403.
    const { csrf } = await openAsPayer(t.app, new URL(paymentUrl).pathname, {}, C);
    const response = await postFormFromPage(page, { action: 'pay', csrf });
    expect(response.status()).toBe(403);
  } finally {
    await context.close();
  }
  expect(await balanceOf(t.app, C)).toBe(before);
}, 60_000);
