/**
 * Issue 16 item 2: a flood of junk must not starve Alipay+. A caller that is not the configured
 * Alipay+ client is answered without a signature (it has no key to verify one, and signing is the
 * costly part); signed refusals are limited per peer; the Alipay+ routes, the cashier GET and
 * /readyz are rate-limited per peer (Alipay+'s own client counted apart from everyone else).
 * Windows follow the injected clock (fixed windows; @fastify/rate-limit over our store).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, FakeClock, responseSignatureValid, signedPost, type TestApp, testApp, TEST_ACQUIRER_ID, TEST_PSP_ID } from '../support/harness.ts';
import { openPayment } from '../support/cashier.ts';
import { INQUIRY_PATH, PAY_PATH } from '../support/payments.ts';
import { agreementPay, codePay } from '../support/sync-pay.ts';

// Windows at whole minutes from the start of this hour (the skew window is widened to a day so
// that signed calls made with the wall clock's Request-Time pass at any of these times).
const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const at = (minute: number, second = 0) => new Date(hour + minute * 60_000 + second * 1000);
const clock = new FakeClock(at(0));
let t: TestApp;
const inquiry = { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'PR-nothing-here' };

beforeAll(async () => {
  t = await testApp({
    clock,
    env: { SIGNATURE_MAX_SKEW_SECONDS: '86400', ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE: '2', RATE_LIMIT_ALIPAYPLUS_PER_MINUTE: '50', RATE_LIMIT_PUBLIC_PER_MINUTE: '3' },
  });
  await createCustomer(t.app, 'C_FLOOD', 'KRW');
});
afterAll(async () => t.close());

const requestTime = () => clock.now().toISOString().replace('Z', '+00:00');

describe('refusals that cost no signature', () => {
  it('answers a caller with an unknown Client-Id F INVALID_CLIENT, HTTP 200, without a signature', async () => {
    clock.set(at(0, 0));
    const res = await signedPost(t.app, INQUIRY_PATH, inquiry, { clientId: 'SOMEONE_ELSE', requestTime: requestTime() });
    expect(res.statusCode).toBe(200);
    expect(res.json().result).toMatchObject({ resultCode: 'INVALID_CLIENT', resultStatus: 'F' });
    expect(res.headers.signature).toBeUndefined();
    expect(res.headers['response-time']).toBeUndefined();
  });

  it('signs only the first refusals of a peer in a minute; later ones are unsigned; a valid request is still served and signed', async () => {
    clock.set(at(1, 0));
    const bad = () => signedPost(t.app, INQUIRY_PATH, inquiry, { requestTime: requestTime(), tamper: (raw) => raw.replace('nothing', 'n0thing') });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await bad());
    for (const a of answers) expect(a.json().result.resultCode).toBe('INVALID_SIGNATURE');
    expect(answers.map((a) => a.headers.signature !== undefined)).toEqual([true, true, false, false]);

    const good = await signedPost(t.app, INQUIRY_PATH, inquiry, { requestTime: requestTime() });
    expect(good.json().result.resultCode).toBe('ORDER_NOT_EXIST');
    expect(await responseSignatureValid(INQUIRY_PATH, good)).toBe(true);

    clock.set(at(2, 0)); // a new window: signed again
    expect((await bad()).headers.signature).toBeDefined();
  });
});

describe('rate limits on the unauthenticated routes', () => {
  it("refuses an unknown caller on the Alipay+ routes unsigned without counting it: it cannot use up Alipay+'s budget from the same peer", async () => {
    clock.set(at(10, 30));
    for (let i = 0; i < 60; i++) {
      const junk = await signedPost(t.app, INQUIRY_PATH, inquiry, { clientId: 'JUNK', requestTime: requestTime() });
      expect(junk.json().result.resultCode).toBe('INVALID_CLIENT');
      expect(junk.headers.signature).toBeUndefined();
    }
    const aplus = await signedPost(t.app, INQUIRY_PATH, inquiry, { requestTime: requestTime() });
    expect(aplus.json().result.resultCode).toBe('ORDER_NOT_EXIST');
    expect(aplus.headers['x-ratelimit-remaining']).toBe('49');
  });

  it('limits Alipay+ traffic per peer, answering a signed U SYSTEM_BUSY (HTTP 200) with Retry-After', async () => {
    clock.set(at(20, 30));
    const codes: string[] = [];
    let last;
    for (let i = 0; i < 52; i++) {
      last = await signedPost(t.app, INQUIRY_PATH, inquiry, { requestTime: requestTime() });
      codes.push(last.json().result.resultCode);
    }
    expect(codes.filter((c) => c === 'ORDER_NOT_EXIST')).toHaveLength(50);
    expect(codes.slice(50)).toEqual(['SYSTEM_BUSY', 'SYSTEM_BUSY']);
    expect(last!.json().result.resultStatus).toBe('U');
    expect(last!.statusCode).toBe(200); // §1: the Alipay+ routes always answer 200 with a result
    expect(last!.headers['retry-after']).toBe('30');
    expect(await responseSignatureValid(INQUIRY_PATH, last!)).toBe(true);
  });

  it("counts #19's synchronous pays (payment code, Auto Debit: the same pay route) in Alipay+'s budget, and refuses them unsigned to an unknown caller", async () => {
    clock.set(at(25, 30));
    for (const body of [codePay('C_FLOOD'), agreementPay('C_FLOOD', 'a'.repeat(43))]) {
      const junk = await signedPost(t.app, PAY_PATH, body, { clientId: 'JUNK', requestTime: requestTime() });
      expect(junk.json().result.resultCode).toBe('INVALID_CLIENT');
      expect(junk.headers.signature).toBeUndefined();
    }
    for (let i = 0; i < 50; i++) await signedPost(t.app, INQUIRY_PATH, inquiry, { requestTime: requestTime() });
    for (const body of [codePay('C_FLOOD'), agreementPay('C_FLOOD', 'a'.repeat(43))]) {
      const busy = await signedPost(t.app, PAY_PATH, body, { requestTime: requestTime() });
      expect(busy.json().result).toMatchObject({ resultCode: 'SYSTEM_BUSY', resultStatus: 'U' });
      expect(await responseSignatureValid(PAY_PATH, busy)).toBe(true);
    }
  });

  it('limits the cashier GET per peer (429 page with Retry-After)', async () => {
    clock.set(at(30, 0));
    const p = await openPayment(t.app, 'C_FLOOD');
    const codes: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await t.app.inject({ method: 'GET', url: p.path });
      codes.push(last.statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect(last!.headers['content-type']).toMatch(/^text\/html/);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('limits /readyz per peer', async () => {
    clock.set(at(40, 0));
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
  });
});
