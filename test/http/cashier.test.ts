/** §5 cashier page at paymentUrl: what it shows, Pay, Cancel, refusals, replays, security headers, redirects. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, FakeClock, signedPost, type TestApp, testApp, TEST_PSP_ID, TEST_ACQUIRER_ID } from '../support/harness.ts';
import { INQUIRY_PATH, seedPay } from '../support/payments.ts';
import { balanceOf, openAsPayer, openPayment, press, topUp } from '../support/cashier.ts';

let t: TestApp;
const clock = new FakeClock();
const RICH = 'C_CASHIER_RICH';
const POOR = 'C_CASHIER_POOR';
const FROZEN_LATER = 'C_CASHIER_FREEZE';

beforeAll(async () => {
  t = await testApp({ clock, env: { MPP_HOME_URL: 'https://wallet.test/home' } });
  for (const c of [RICH, POOR, FROZEN_LATER]) await createCustomer(t.app, c, 'KRW');
  await topUp(t.app, RICH, '100000');
  await topUp(t.app, POOR, '500');
  await topUp(t.app, FROZEN_LATER, '100000');
});
afterAll(async () => t.close());

const outboxRows = (paymentId: string) => t.database.db.selectFrom('notify_outbox').selectAll().where('payment_id', '=', paymentId).execute();
const inquire = async (paymentRequestId: string) =>
  (await signedPost(t.app, INQUIRY_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId })).json();

describe('cashier page', () => {
  it('shows merchant, store, order amount, what the user pays in the wallet currency, the quote and the time left', async () => {
    const { path } = await openPayment(t.app, RICH, { surchargeInfo: { surchargeAmount: { currency: 'KRW', value: '30' } } });
    const res = (await openAsPayer(t.app, path)).page;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<meta name="viewport"');
    expect(res.body).toContain('UGG');
    expect(res.body).toContain('UGG-2');
    expect(res.body).toContain('JPY 100');
    expect(res.body).toContain('You pay KRW 1030'); // payToAmount 1000 + surcharge 30
    expect(res.body).toContain('1 JPY = 10.0000 KRW');
    expect(res.body).toMatch(/data-seconds="1[0-9]{2}"/); // 180 s default expiry, server-computed
  });

  it('sends the security headers: CSP with nonces, no framing, no referrer, no caching, nosniff', async () => {
    const { path } = await openPayment(t.app, RICH);
    const res = (await openAsPayer(t.app, path)).page;
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(res.body).toContain(`<script nonce="${nonce}">`);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('escapes every value it shows (a merchant name with markup stays text)', async () => {
    const { seedPay, newRequestId, PAY_PATH } = await import('../support/payments.ts');
    const body = seedPay(RICH, newRequestId());
    body.order.merchant.merchantName = '<script>alert("x")</script>';
    body.order.orderDescription = '"><img src=x onerror=alert(1)>';
    const res = await signedPost(t.app, PAY_PATH, body);
    const page = await t.app.inject({ method: 'GET', url: new URL(res.json().paymentUrl).pathname });
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  });

  it('a cashier link works only for its own payment', async () => {
    const a = await openPayment(t.app, RICH, { order: { ...seedPay(RICH).order, orderDescription: 'Order A of two' } });
    const b = await openPayment(t.app, RICH, { order: { ...seedPay(RICH).order, orderDescription: 'Order B of two' } });
    expect(a.paymentId).not.toBe(b.paymentId);
    expect(a.path).not.toBe(b.path);
    const statusOf = async (paymentId: string) =>
      (await t.database.db.selectFrom('payments').select('status').where('id', '=', paymentId).executeTakeFirstOrThrow()).status;

    // Pay through A's link, with A's page's csrf field.
    const res = await press(t.app, a.path, 'pay');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-status="SUCCESS"');
    expect(res.body).toContain('Order A of two');
    expect(await statusOf(a.paymentId)).toBe('SUCCESS');
    expect((await inquire(a.paymentRequestId)).paymentResult).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(await statusOf(b.paymentId)).toBe('PROCESSING');
    expect((await inquire(b.paymentRequestId)).paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');

    // B's link still shows B's own open page (the Pay form, B's order), not A's result.
    const pageB = (await openAsPayer(t.app, b.path)).page;
    expect(pageB.statusCode).toBe(200);
    expect(pageB.body).toContain('Order B of two');
    expect(pageB.body).not.toContain('Order A of two');
    expect(pageB.body).toContain('id="pay"');
    expect(pageB.body).not.toContain('data-status=');

    // A's token with one character changed (first, middle, last) is no link at all.
    const token = a.path.slice('/cashier/'.length);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const i of [0, 21, token.length - 1]) {
      const altered = `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
      const r = await t.app.inject({ method: 'GET', url: `/cashier/${altered}` });
      expect(r.statusCode, `altered at ${i}`).toBe(404);
      expect(r.body).not.toContain('Order A of two');
    }
    expect(await statusOf(b.paymentId)).toBe('PROCESSING');
  });

  it('answers an unknown link with a 404 page and no detail', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/cashier/${'A'.repeat(43)}` });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('not valid');
    const junk = await t.app.inject({ method: 'GET', url: '/cashier/short' });
    expect(junk.statusCode).toBe(404);
  });
});

describe('cashier Pay', () => {
  it('debits payToAmount + surcharge, makes the payment S SUCCESS with paymentTime and queues one notifyPayment', async () => {
    const before = await balanceOf(t.app, RICH);
    const { path, paymentId, paymentRequestId } = await openPayment(t.app, RICH, { surchargeInfo: { surchargeAmount: { currency: 'KRW', value: '30' } } });
    const res = await press(t.app, path, 'pay');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-status="SUCCESS"');
    expect(await balanceOf(t.app, RICH)).toBe(before - 1030n);
    const inquiry = await inquire(paymentRequestId);
    expect(inquiry.paymentResult).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(inquiry.paymentTime).toBeDefined();
    const rows = await outboxRows(paymentId);
    expect(rows).toHaveLength(1);
    const notify = JSON.parse(rows[0]!.body);
    expect(notify.paymentResult).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(notify.paymentTime).toBe(inquiry.paymentTime);
  });

  it('cannot be replayed into a second debit: a second POST shows the final state', async () => {
    const before = await balanceOf(t.app, RICH);
    const { path, paymentId } = await openPayment(t.app, RICH);
    const { csrf, cookie } = await openAsPayer(t.app, path);
    const form = {
      method: 'POST' as const,
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: `action=pay&csrf=${encodeURIComponent(csrf)}`,
    };
    const [a, b] = await Promise.all([t.app.inject(form), t.app.inject(form)]);
    const again = await t.app.inject(form);
    for (const r of [a, b, again]) expect(r.body).toContain('data-status="SUCCESS"');
    expect(await balanceOf(t.app, RICH)).toBe(before - 1000n);
    expect(await outboxRows(paymentId)).toHaveLength(1);
  });

  it('shows insufficient funds and leaves the order payable; after a top-up Pay works', async () => {
    const { path, paymentRequestId } = await openPayment(t.app, POOR);
    const res = await press(t.app, path, 'pay');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('balance is not enough');
    expect(res.body).toContain('id="pay"');
    expect((await inquire(paymentRequestId)).paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
    expect(await balanceOf(t.app, POOR)).toBe(500n);
    await topUp(t.app, POOR, '1000');
    expect((await press(t.app, path, 'pay')).body).toContain('data-status="SUCCESS"');
    expect(await balanceOf(t.app, POOR)).toBe(500n);
  });

  it('shows a frozen wallet and leaves the order payable', async () => {
    const { path, paymentRequestId } = await openPayment(t.app, FROZEN_LATER);
    const { opsHeaders } = await import('../support/harness.ts');
    await t.app.inject({ method: 'PATCH', url: `/ops/v1/customers/${FROZEN_LATER}`, headers: opsHeaders(), payload: { status: 'FROZEN' } });
    const res = await press(t.app, path, 'pay');
    expect(res.body).toContain('frozen');
    expect((await inquire(paymentRequestId)).paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
    expect(await balanceOf(t.app, FROZEN_LATER)).toBe(100000n);
  });

  it('refuses Pay above a single-payment limit set after the order was accepted, and leaves the order payable', async () => {
    const LIMITED = 'C_CASHIER_LIMIT';
    await createCustomer(t.app, LIMITED, 'KRW');
    await topUp(t.app, LIMITED, '100000');
    const { path, paymentRequestId } = await openPayment(t.app, LIMITED); // KRW 1000, no limit yet
    // A second instance on the same database, configured since with a KRW limit below the order.
    const limited = await testApp({ clock, database: t.database, kv: t.kv, env: { MPP_HOME_URL: 'https://wallet.test/home', SINGLE_PAYMENT_LIMITS: 'KRW:999' } });
    try {
      const res = await press(limited.app, path, 'pay');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('above your wallet limit');
      expect(res.body).toContain('id="pay"');
      expect((await inquire(paymentRequestId)).paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
      expect(await balanceOf(t.app, LIMITED)).toBe(100000n);
      // At the limit it pays (the limit is inclusive).
      const atLimit = await testApp({ clock, database: t.database, kv: t.kv, env: { MPP_HOME_URL: 'https://wallet.test/home', SINGLE_PAYMENT_LIMITS: 'KRW:1000' } });
      try {
        expect((await press(atLimit.app, path, 'pay')).body).toContain('data-status="SUCCESS"');
      } finally {
        await atLimit.close();
      }
      expect(await balanceOf(t.app, LIMITED)).toBe(99000n);
    } finally {
      await limited.close();
    }
  });

  it('refuses a form without the csrf field or coming from another site', async () => {
    const { path, paymentRequestId } = await openPayment(t.app, RICH);
    const noCsrf = await t.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'action=pay' });
    expect(noCsrf.statusCode).toBe(403);
    const crossSite = await press(t.app, path, 'pay', { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.statusCode).toBe(403);
    expect((await inquire(paymentRequestId)).paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
  });

  it('redirects (303) to paymentRedirectUrl after success on Android, shows the result page on iOS', async () => {
    const android = await openPayment(t.app, RICH, {
      paymentRedirectUrl: 'https://merchant.test/done?o=1',
      paymentFactor: { isInStorePayment: 'false', isCashierPayment: 'true' },
    });
    const page = (await openAsPayer(t.app, android.path, { 'user-agent': 'Mozilla/5.0 (Linux; Android 14)' })).page;
    expect(String(page.headers['content-security-policy'])).toContain("form-action 'self' https://merchant.test;");
    const res = await press(t.app, android.path, 'pay', { 'user-agent': 'Mozilla/5.0 (Linux; Android 14)' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('https://merchant.test/done?o=1');

    const ios = await openPayment(t.app, RICH, {
      paymentRedirectUrl: 'https://merchant.test/done',
      paymentFactor: { isInStorePayment: 'false', isCashierPayment: 'true' },
    });
    const iosRes = await press(t.app, ios.path, 'pay', { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)' });
    expect(iosRes.statusCode).toBe(200);
    expect(iosRes.body).toContain('data-status="SUCCESS"');
  });

  it('sends scan-to-pay with a merchant app link to the MPP home page', async () => {
    const p = await openPayment(t.app, RICH, { paymentRedirectUrl: 'merchantapp://done' });
    const res = await press(t.app, p.path, 'pay');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('https://wallet.test/home');
  });
});

describe('cashier Cancel and expiry', () => {
  it('Cancel closes the order as F ORDER_IS_CLOSED, debits nothing and queues one notification', async () => {
    const before = await balanceOf(t.app, RICH);
    const { path, paymentId, paymentRequestId } = await openPayment(t.app, RICH, { paymentRedirectUrl: 'https://merchant.test/done' });
    const open = await openAsPayer(t.app, path);
    const res = await press(t.app, path, 'cancel');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-status="CLOSED"');
    expect((await inquire(paymentRequestId)).paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect(await balanceOf(t.app, RICH)).toBe(before);
    const rows = await outboxRows(paymentId);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.body).paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
    // Pay after Cancel (the same form, replayed): the final state, no debit.
    const late = await press(t.app, path, 'pay').catch(() => undefined);
    expect(late).toBeUndefined(); // a final page has no form to press
    const replay = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: open.cookie },
      payload: `action=pay&csrf=${encodeURIComponent(open.csrf)}`,
    });
    expect(replay.body).toContain('data-status="CLOSED"');
    expect(await balanceOf(t.app, RICH)).toBe(before);
  });

  it('a page opened after expiry (not yet swept) shows the order closed, and Pay cannot revive it', async () => {
    const before = await balanceOf(t.app, RICH);
    const { path, paymentId } = await openPayment(t.app, RICH);
    const { csrf, cookie } = await openAsPayer(t.app, path, {}, RICH);
    clock.advance(181_000);
    try {
      const page = await t.app.inject({ method: 'GET', url: path });
      expect(page.body).toContain('data-status="CLOSED"');
      const res = await t.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        payload: `action=pay&csrf=${encodeURIComponent(csrf)}`,
      });
      expect(res.body).toContain('data-status="CLOSED"');
      expect(await balanceOf(t.app, RICH)).toBe(before);
      expect(await outboxRows(paymentId)).toHaveLength(1);
    } finally {
      clock.set(new Date());
    }
  });
});
