/**
 * Issue 9 point 3: replayed signatures. The window itself (a Request-Time 11 minutes old is
 * refused) is test/http/envelope.test.ts "refuses a replayed request whose Request-Time is outside
 * the window"; here the attacker holds a request Alipay+ really sent and the service accepted, and
 * sends the very same bytes again: inside the window the business rules make the replay harmless
 * (an auth code works once), outside it the envelope refuses it, and it cannot be re-aimed at
 * another route or given a fresher Request-Time without breaking the signature.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { sign, signatureHeader } from '../../src/alipayplus/signature.ts';
import { createCustomer, FakeClock, responseSignatureValid, TEST_ACQUIRER_ID, TEST_CLIENT_ID, TEST_PSP_ID, type TestApp, testApp, testKeys } from '../support/harness.ts';
import { APPLY_TOKEN, authCodeFor } from '../support/tokens.ts';

const T0 = new Date('2031-06-01T03:00:00.000Z');
const clock = new FakeClock(T0);
let t: TestApp;
beforeAll(async () => {
  t = await testApp({ clock });
  await createCustomer(t.app, 'replay-1', 'KRW');
});
afterAll(async () => t.close());

/** A request exactly as Alipay+ sends it at `at`: kept whole, so it can be sent again byte for byte. */
async function capturedRequest(path: string, body: unknown, at: Date): Promise<InjectOptions & { headers: Record<string, string>; payload: string }> {
  const raw = JSON.stringify(body);
  const requestTime = isoWithOffset(at);
  const value = await sign({ method: 'POST', uri: path, clientId: TEST_CLIENT_ID, time: requestTime, body: raw }, testKeys.aplusPrivate);
  return {
    method: 'POST',
    url: path,
    payload: raw,
    headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': TEST_CLIENT_ID, 'request-time': requestTime, signature: signatureHeader('1', value) },
  };
}

async function send(request: InjectOptions, path = String(request.url)) {
  const res = await t.app.inject(request);
  expect(res.statusCode).toBe(200);
  expect(await responseSignatureValid(path, res)).toBe(true);
  return res.json() as { result: { resultCode: string; resultStatus: string }; accessToken?: string };
}

describe('replaying a request Alipay+ really sent', () => {
  it('gives no second token for a replayed applyToken inside the window, and refuses it with INVALID_SIGNATURE outside it', async () => {
    clock.set(T0);
    const authCode = await authCodeFor(t, 'replay-1');
    const original = await capturedRequest(APPLY_TOKEN, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, grantType: 'AUTHORIZATION_CODE', authCode }, T0);
    const first = await send(original);
    expect(first.result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });

    clock.set(new Date(T0.getTime() + 60_000)); // inside the window: the envelope passes, §3 single use refuses
    const replayInside = await send(original);
    expect(replayInside.result).toMatchObject({ resultCode: 'USED_CODE', resultStatus: 'F' });
    expect(replayInside.accessToken).toBeUndefined();

    clock.set(new Date(T0.getTime() + (t.config.signatureMaxSkewSeconds + 1) * 1000)); // outside: the envelope refuses
    expect((await send(original)).result).toMatchObject({ resultCode: 'INVALID_SIGNATURE', resultStatus: 'F' });
  });

  it('accepts an exact replay of a read-only request until the window closes, then refuses it', async () => {
    const path = '/alipayplus/v1/payments/inquiryPayment';
    const original = await capturedRequest(path, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'replay-inquiry' }, T0);
    clock.set(new Date(T0.getTime() + (t.config.signatureMaxSkewSeconds - 1) * 1000));
    expect((await send(original)).result.resultCode).toBe('ORDER_NOT_EXIST');
    clock.set(new Date(T0.getTime() + (t.config.signatureMaxSkewSeconds + 1) * 1000));
    expect((await send(original)).result.resultCode).toBe('INVALID_SIGNATURE');
    // a request dated in the future is no better
    clock.set(new Date(T0.getTime() - (t.config.signatureMaxSkewSeconds + 1) * 1000));
    expect((await send(original)).result.resultCode).toBe('INVALID_SIGNATURE');
  });

  it('refuses an old request given a fresh Request-Time, or sent to another route: both are signed', async () => {
    clock.set(T0);
    const path = '/alipayplus/v1/payments/inquiryPayment';
    const old = await capturedRequest(path, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'replay-old' }, new Date(T0.getTime() - 3600_000));
    const refreshed = { ...old, headers: { ...old.headers, 'request-time': isoWithOffset(T0) } };
    expect((await send(refreshed)).result.resultCode).toBe('INVALID_SIGNATURE');

    const fresh = await capturedRequest(path, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'replay-moved', accessToken: 'A'.repeat(64) }, T0);
    const moved = { ...fresh, url: '/alipayplus/v1/authorizations/cancelToken' };
    expect((await send(moved, '/alipayplus/v1/authorizations/cancelToken')).result.resultCode).toBe('INVALID_SIGNATURE');
    // and a query string added to the path breaks it too
    expect((await send({ ...fresh, url: `${path}?x=1` }, `${path}?x=1`)).result.resultCode).toBe('INVALID_SIGNATURE');
  });
});
