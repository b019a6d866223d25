/**
 * §5 "the cashier knows who pays" (issue 16 item 1): the app's webview opens paymentUrl with the
 * user's app JWT as a bearer header on the first GET; the page answers with a short-lived session
 * cookie scoped to that cashier path. Pay and Cancel work only for the payment's own customer;
 * the link alone (no session) or another user's session shows the order and "open this in the
 * wallet app", and their POSTs change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt, createCustomer, type TestApp, testApp } from '../support/harness.ts';
import { balanceOf, openPayment, topUp } from '../support/cashier.ts';

let t: TestApp;
const PAYER = 'C_SESSION_PAYER';
const OTHER = 'C_SESSION_OTHER';

beforeAll(async () => {
  t = await testApp();
  for (const c of [PAYER, OTHER]) await createCustomer(t.app, c, 'KRW');
  await topUp(t.app, PAYER, '100000');
  await topUp(t.app, OTHER, '100000');
});
afterAll(async () => t.close());

const statusOf = async (paymentId: string) => (await t.database.db.selectFrom('payments').select('status').where('id', '=', paymentId).executeTakeFirstOrThrow()).status;

/** The csrf field of any page we rendered for this link (the payer's page has it). */
async function csrfFor(path: string, customerId: string): Promise<string> {
  const page = await t.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${await appJwt(customerId)}` } });
  const m = /name="csrf" value="([^"]+)"/.exec(page.body);
  if (!m) throw new Error('no csrf field');
  return m[1]!;
}

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const set = res.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  if (typeof first !== 'string') throw new Error('no session cookie');
  return first;
}

const post = (path: string, action: 'pay' | 'cancel', csrf: string, cookie?: string) =>
  t.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: new URLSearchParams({ action, csrf }).toString(),
  });

describe('cashier session: who pays', () => {
  it('the payer opening the link with the app JWT gets Pay and a short-lived HttpOnly SameSite=Strict cookie scoped to the cashier path', async () => {
    const p = await openPayment(t.app, PAYER);
    const res = await t.app.inject({ method: 'GET', url: p.path, headers: { authorization: `Bearer ${await appJwt(PAYER)}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('id="pay"');
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^mpp_cashier=[^;]+/);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toContain(`; Path=${p.path}`);
    expect(cookie).not.toMatch(/; Secure/i); // PUBLIC_BASE_URL is http here
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(900);

    // The cookie alone (no bearer header any more) carries the session: the page and Pay work.
    const session = cookie.split(';')[0]!;
    const again = await t.app.inject({ method: 'GET', url: p.path, headers: { cookie: session } });
    expect(again.body).toContain('id="pay"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(again.body)![1]!;
    const paid = await post(p.path, 'pay', csrf, session);
    expect(paid.body).toContain('data-status="SUCCESS"');
    expect(await balanceOf(t.app, PAYER)).toBe(99000n);
  });

  it('the link alone shows the order and "open this in the wallet app", with no Pay button; Pay and Cancel change nothing', async () => {
    const p = await openPayment(t.app, PAYER);
    const page = await t.app.inject({ method: 'GET', url: p.path });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('UGG'); // the order is shown
    expect(page.body).toContain('Open this payment in the wallet app');
    expect(page.body).not.toContain('id="pay"');
    expect(page.body).not.toContain('id="cancel"');
    expect(page.headers['set-cookie']).toBeUndefined();

    const csrf = await csrfFor(p.path, PAYER); // even with a valid csrf field from the payer's page
    const before = await balanceOf(t.app, PAYER);
    for (const action of ['pay', 'cancel'] as const) {
      const res = await post(p.path, action, csrf);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Open this payment in the wallet app');
    }
    expect(await statusOf(p.paymentId)).toBe('PROCESSING');
    expect(await balanceOf(t.app, PAYER)).toBe(before);
  });

  it("another user's JWT or session sees the order without Pay; Pay and Cancel change nothing", async () => {
    const p = await openPayment(t.app, PAYER);
    const page = await t.app.inject({ method: 'GET', url: p.path, headers: { authorization: `Bearer ${await appJwt(OTHER)}` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Open this payment in the wallet app');
    expect(page.body).not.toContain('id="pay"');

    // A session cookie minted for OTHER on OTHER's own payment, replayed on this link: refused too.
    const own = await openPayment(t.app, OTHER);
    const otherSession = cookieOf(await t.app.inject({ method: 'GET', url: own.path, headers: { authorization: `Bearer ${await appJwt(OTHER)}` } })).split(';')[0]!;
    const csrf = await csrfFor(p.path, PAYER);
    const payerBefore = await balanceOf(t.app, PAYER);
    const otherBefore = await balanceOf(t.app, OTHER);
    for (const action of ['pay', 'cancel'] as const) {
      expect((await post(p.path, action, csrf, otherSession)).statusCode).toBe(403);
    }
    expect(await statusOf(p.paymentId)).toBe('PROCESSING');
    expect(await balanceOf(t.app, PAYER)).toBe(payerBefore);
    expect(await balanceOf(t.app, OTHER)).toBe(otherBefore);
  });

  it('a forged or expired JWT gives no session', async () => {
    const p = await openPayment(t.app, PAYER);
    for (const jwt of [await appJwt(PAYER, { secret: 'another-secret-that-is-long-enough-000000' }), await appJwt(PAYER, { expiresInSeconds: -10 })]) {
      const page = await t.app.inject({ method: 'GET', url: p.path, headers: { authorization: `Bearer ${jwt}` } });
      expect(page.body).not.toContain('id="pay"');
      expect(page.headers['set-cookie']).toBeUndefined();
    }
  });

  it('a tampered cookie is no session', async () => {
    const p = await openPayment(t.app, PAYER);
    const session = cookieOf(await t.app.inject({ method: 'GET', url: p.path, headers: { authorization: `Bearer ${await appJwt(PAYER)}` } })).split(';')[0]!;
    const tampered = session.replace(PAYER, OTHER);
    const page = await t.app.inject({ method: 'GET', url: p.path, headers: { cookie: tampered } });
    expect(page.body).not.toContain('id="pay"');
  });

  it('the cookie is Secure when PUBLIC_BASE_URL is https', async () => {
    const s = await testApp({ env: { PUBLIC_BASE_URL: 'https://wallet.example' } });
    try {
      await createCustomer(s.app, PAYER, 'KRW');
      const p = await openPayment(s.app, PAYER);
      const res = await s.app.inject({ method: 'GET', url: p.path, headers: { authorization: `Bearer ${await appJwt(PAYER)}` } });
      expect(cookieOf(res)).toMatch(/; Secure/i);
    } finally {
      await s.close();
    }
  });
});
