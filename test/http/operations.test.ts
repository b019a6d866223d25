import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/http/server-options.ts';
import { signedPost, type TestApp, testApp, TEST_ACQUIRER_ID, TEST_PSP_ID, testConfig } from '../support/harness.ts';

const inquiry = '/alipayplus/v1/payments/inquiryPayment';
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(String(chunk));
    done();
  },
});

let t: TestApp;
let notReady: TestApp;
beforeAll(async () => {
  const config = testConfig({ LOG_LEVEL: 'info' });
  t = await testApp({ extra: { logger: { ...loggerOptions(config), stream: sink } } });
  notReady = await testApp({ extra: { readinessChecks: { codeRules: async () => Promise.reject(new Error('no code rules loaded')) } } });
});
afterAll(async () => {
  await t.close();
  await notReady.close();
});

describe('operations routes', () => {
  it('reports the process alive on /healthz', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('reports ready on /readyz when the database and the store answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks).toMatchObject({ database: 'ok', redis: 'ok' });
  });

  it('answers 503 on /readyz naming the check that failed', async () => {
    const res = await notReady.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.codeRules).toBe('no code rules loaded');
  });

  it('counts requests per route and result code in /metrics', async () => {
    await signedPost(t.app, inquiry, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'metrics-1' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /mpp_http_requests_total\{route="\/alipayplus\/v1\/payments\/inquiryPayment",method="POST",status_code="200",result_code="ORDER_NOT_EXIST"\} 1/,
    );
    expect(res.body).toMatch(/mpp_http_request_duration_seconds_bucket\{le="[^"]+",route="\/alipayplus\/v1\/payments\/inquiryPayment",result_code="ORDER_NOT_EXIST"\}/);
  });

  it('answers an unknown route with 404 and a reason, not a stack trace', async () => {
    // An undocumented path on purpose: opt out of the openapi.yaml check.
    const res = await t.app.inject({ method: 'GET', url: '/nope', headers: { 'x-test-skip-openapi': '1' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().result.resultCode).toBe('PARAM_ILLEGAL');
  });

  it('refuses ops routes without the ops token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ops/v1/customers/x', headers: { authorization: 'Bearer wrong' } });
    expect(res.statusCode).toBe(401);
  });

  it('logs a request id and never the signature or authorization header', async () => {
    lines.length = 0;
    await signedPost(t.app, inquiry, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'log-1' }, { headers: { 'x-request-id': 'req-abc-123' } });
    await t.app.inject({ method: 'GET', url: '/ops/v1/customers/x', headers: { authorization: 'Bearer super-secret-value' } });
    const text = lines.join('');
    expect(text).toContain('req-abc-123');
    expect(text).not.toContain('super-secret-value');
    expect(text).not.toMatch(/signature=[A-Za-z0-9%]{20,}/);
  });
});
