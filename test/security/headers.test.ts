/**
 * Issue 9 point 3: security headers. The JSON APIs need little: no MIME sniffing and no caching
 * (bodies carry tokens, auth codes and payment data), on every answer of every audience, the
 * refusals included. The cashier page (another route) sets its own CSP and framing headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt, createCustomer, opsHeaders, responseSignatureValid, signedPost, TEST_ACQUIRER_ID, TEST_PSP_ID, type TestApp, testApp } from '../support/harness.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ env: { RATE_LIMIT_APP_PER_MINUTE: '1' } });
  await createCustomer(t.app, 'hdr-1', 'KRW');
});
afterAll(async () => t.close());

describe('security headers on every answer', () => {
  it('sends nosniff and no-store on Alipay+, app, ops and transport answers alike, successes and refusals', async () => {
    const jwt = await appJwt('hdr-1');
    const inquiry = '/alipayplus/v1/payments/inquiryPayment';
    const answers = {
      'alipayplus F': await signedPost(t.app, inquiry, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'hdr' }),
      'alipayplus bad signature': await signedPost(t.app, inquiry, { pspId: TEST_PSP_ID }, { tamper: (r) => `${r} ` }),
      'app 200': await t.app.inject({ method: 'POST', url: '/app/v1/authCodes', headers: { authorization: `Bearer ${jwt}` }, payload: {} }),
      'app 429': await t.app.inject({ method: 'POST', url: '/app/v1/authCodes', headers: { authorization: `Bearer ${jwt}` }, payload: {} }),
      'app 401': await t.app.inject({ method: 'POST', url: '/app/v1/authCodes', payload: {} }),
      'ops 200': await t.app.inject({ method: 'GET', url: '/ops/v1/customers/hdr-1', headers: opsHeaders() }),
      'ops 401': await t.app.inject({ method: 'GET', url: '/ops/v1/customers/hdr-1' }),
      'ops 400': await t.app.inject({ method: 'PATCH', url: '/ops/v1/customers/hdr-1', headers: opsHeaders(), payload: { status: 'GONE' } }),
      'ops 413': await t.app.inject({
        method: 'POST',
        url: '/ops/v1/customers',
        headers: { ...opsHeaders(), 'content-type': 'application/json' },
        payload: JSON.stringify({ x: 'x'.repeat(t.config.bodyLimitBytes) }),
      }),
      'bad url 400': await t.app.inject({ method: 'GET', url: '/ops/v1/customers/%zz', headers: opsHeaders() }),
      'long param 414': await t.app.inject({ method: 'GET', url: `/ops/v1/customers/${'p'.repeat(200)}`, headers: opsHeaders() }),
      'unknown route 404': await t.app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-test-skip-openapi': '1' } }),
      healthz: await t.app.inject({ method: 'GET', url: '/healthz' }),
    };
    const statuses = Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.statusCode]));
    expect(statuses).toMatchObject({
      'app 200': 200,
      'app 429': 429,
      'app 401': 401,
      'ops 200': 200,
      'ops 401': 401,
      'ops 400': 400,
      'ops 413': 413,
      'bad url 400': 400,
      'long param 414': 414,
      'unknown route 404': 404,
    });
    for (const [name, res] of Object.entries(answers)) {
      expect(res.headers['x-content-type-options'], name).toBe('nosniff');
      expect(res.headers['cache-control'], name).toBe('no-store');
      expect(res.json(), name).toBeTypeOf('object');
    }
    // the headers are outside what is signed: the Alipay+ answers still verify
    expect(await responseSignatureValid(inquiry, answers['alipayplus F'])).toBe(true);
  });

  it('never echoes a malformed or over-long path in the refusal (a cashier path holds a token)', async () => {
    const secretish = `TOKEN${'A'.repeat(150)}`;
    for (const url of [`/cashier/${secretish}%zz`, `/ops/v1/customers/${secretish}`, `/ops/v1/customers/${secretish.slice(0, 20)}%zz`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: opsHeaders() });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('TOKENAAAA');
    }
  });
});
