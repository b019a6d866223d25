/**
 * §5 cashier in a real browser (issue 5 point 6): headless Debian Chromium driven by
 * playwright-core opens a real paymentUrl served on 127.0.0.1, presses Pay and lands on the
 * merchant's paymentRedirectUrl (a tiny local page). The cashier's screenshot is kept as
 * test-artifacts/cashier.png.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appJwt, createCustomer, signedPost, type TestApp, testApp, TEST_ACQUIRER_ID, TEST_PSP_ID } from '../support/harness.ts';
import { launchChromium, openCashierAs, postFormFromPage } from '../support/browser.ts';
import { balanceOf, openAsPayer, openPayment, topUp } from '../support/cashier.ts';
import { INQUIRY_PATH } from '../support/payments.ts';
import { freePort, repoDir } from '../support/shared.ts';

const C = 'C_BROWSER';
const OTHER = 'C_BROWSER_OTHER';
let t: TestApp;
let merchant: Server;
let merchantUrl: string;
let browser: Browser;

beforeAll(async () => {
  merchant = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Merchant</title><h1 id="thanks">Thank you for your order</h1>');
  });
  await new Promise<void>((r) => merchant.listen(0, '127.0.0.1', r));
  merchantUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}/done`;

  const port = await freePort();
  t = await testApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } });
  await t.app.listen({ host: '127.0.0.1', port });
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '5000');
  await createCustomer(t.app, OTHER, 'KRW');
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await new Promise<void>((r) => merchant.close(() => r()));
});

it('opens a real paymentUrl, presses Pay and lands on the merchant page; wallet debited, inquiry S SUCCESS', async () => {
  const p = await openPayment(t.app, C, {
    paymentRedirectUrl: merchantUrl,
    paymentFactor: { isInStorePayment: 'false', isCashierPayment: 'true' },
  });
  expect(p.paymentUrl.startsWith(t.config.publicBaseUrl)).toBe(true);
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const cspErrors: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) cspErrors.push(m.text());
  });
  try {
    // As the app's webview opens it (§5): the user's app JWT as a bearer header on the first GET
    // only; the session cookie it is exchanged for carries the Pay POST.
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${await appJwt(C)}` });
    await page.goto(p.paymentUrl);
    await page.setExtraHTTPHeaders({});
    const cookies = await context.cookies(p.paymentUrl);
    expect(cookies.find((c) => c.name === 'mpp_cashier')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: new URL(p.paymentUrl).pathname });
    await expect.poll(() => page.textContent('#total')).toContain('KRW 1000');
    expect(await page.textContent('#merchant')).toBe('UGG');
    // The inline style applied (nonce accepted by the CSP): the Pay button is coloured.
    expect(
      await page.$eval('#pay', (el) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor),
    ).toBe('rgb(22, 119, 255)');
    const dir = join(repoDir, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'cashier.png'), fullPage: true });

    await Promise.all([page.waitForURL(merchantUrl), page.click('#pay')]);
    expect(await page.textContent('#thanks')).toContain('Thank you');
    expect(cspErrors, cspErrors.join('\n')).toEqual([]);
  } finally {
    await context.close();
  }
  expect(await balanceOf(t.app, C)).toBe(4000n);
  const inquiry = (await signedPost(t.app, INQUIRY_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: p.paymentRequestId })).json();
  expect(inquiry.paymentResult).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
}, 60_000);

for (const [who, viewer] of [
  ['the link alone (no app session)', undefined],
  ['another user of the app', OTHER],
] as const) {
  it(`${who}: the order is shown with "open this in the wallet app", no Pay button, and a forged Pay changes nothing`, async () => {
    const p = await openPayment(t.app, C);
    const before = await balanceOf(t.app, C);
    const { context, page } = await openCashierAs(browser, p.paymentUrl, viewer);
    try {
      expect(await page.textContent('#merchant')).toBe('UGG');
      expect(await page.textContent('#open-in-app')).toContain('Open this payment in the wallet app');
      expect(await page.$('#pay')).toBeNull();
      expect(await page.$('#cancel')).toBeNull();
      // Pay and Cancel posted from this browser anyway (same origin, with the valid csrf field of
      // the payer's own page): refused, nothing changes.
      const { csrf } = await openAsPayer(t.app, p.path);
      for (const action of ['pay', 'cancel']) {
        const response = await postFormFromPage(page, { action, csrf });
        const status = response.status();
        expect(await response.text()).toContain('Open this payment in the wallet app');
        expect(status).toBe(403);
        await page.goBack();
      }
    } finally {
      await context.close();
    }
    expect(await balanceOf(t.app, C)).toBe(before);
    const inquiry = (await signedPost(t.app, INQUIRY_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: p.paymentRequestId })).json();
    expect(inquiry.paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
  }, 60_000);
}
