import { generateKeyPairSync } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { responseSignatureValid, signedPost, type TestApp, testApp, TEST_ACQUIRER_ID, TEST_CLIENT_ID, TEST_PSP_ID } from '../support/harness.ts';

const path = '/alipayplus/v1/payments/inquiryPayment';
const body = { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: 'no-such-request-1' };

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function expectSignedResult(res: Awaited<ReturnType<typeof signedPost>>, code: string, status: string) {
  expect(res.statusCode).toBe(200);
  expect(res.json().result).toMatchObject({ resultCode: code, resultStatus: status });
  expect(typeof res.json().result.resultMessage).toBe('string');
  expect(await responseSignatureValid(path, res)).toBe(true);
}

describe('the Alipay+ envelope (§1)', () => {
  it('answers an unknown paymentRequestId with a signed F ORDER_NOT_EXIST that verifies with the MPP public key', async () => {
    const res = await signedPost(t.app, path, body);
    await expectSignedResult(res, 'ORDER_NOT_EXIST', 'F');
  });

  it('sends client-id, response-time and signature in lowercase on the wire', async () => {
    // light-my-request folds header case, so look at the raw bytes of a real socket.
    const signedReq = await signedPost(t.app, path, body);
    expect(signedReq.statusCode).toBe(200);
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const rawHeaderNames = await new Promise<string[]>((resolve, reject) => {
      const req = request(`${address}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'client-id': TEST_CLIENT_ID } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.rawHeaders.filter((_, i) => i % 2 === 0)));
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(rawHeaderNames).toEqual(expect.arrayContaining(['client-id', 'response-time', 'signature']));
    expect(String(signedReq.headers.signature)).toMatch(/^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$/);
  });

  it('refuses a tampered body with INVALID_SIGNATURE', async () => {
    const res = await signedPost(t.app, path, body, { tamper: (raw) => raw.replace('no-such-request-1', 'no-such-request-2') });
    await expectSignedResult(res, 'INVALID_SIGNATURE', 'F');
  });

  it('refuses a request signed by another key with INVALID_SIGNATURE', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expectSignedResult(await signedPost(t.app, path, body, { privateKey }), 'INVALID_SIGNATURE', 'F');
  });

  it('refuses a missing Signature header with INVALID_SIGNATURE', async () => {
    const res = await signedPost(t.app, path, body, { headers: { signature: '' } });
    await expectSignedResult(res, 'INVALID_SIGNATURE', 'F');
  });

  it('refuses an unknown Client-Id with INVALID_CLIENT, unsigned (§1 Revision 2: it has no key to verify one)', async () => {
    const res = await signedPost(t.app, path, body, { clientId: 'SOMEONE_ELSE' });
    expect(res.statusCode).toBe(200);
    expect(res.json().result).toMatchObject({ resultCode: 'INVALID_CLIENT', resultStatus: 'F' });
    expect(res.headers.signature).toBeUndefined();
  });

  it('refuses an unknown keyVersion with KEY_NOT_FOUND', async () => {
    await expectSignedResult(await signedPost(t.app, path, body, { keyVersion: '7' }), 'KEY_NOT_FOUND', 'F');
  });

  it('refuses a replayed request whose Request-Time is outside the window', async () => {
    const stale = isoWithOffset(new Date(Date.now() - 11 * 60_000));
    await expectSignedResult(await signedPost(t.app, path, body, { requestTime: stale }), 'INVALID_SIGNATURE', 'F');
  });

  it('accepts Request-Time as epoch milliseconds and as +0800', async () => {
    await expectSignedResult(await signedPost(t.app, path, body, { requestTime: String(Date.now()) }), 'ORDER_NOT_EXIST', 'F');
    const plus8 = new Date(Date.now() + 8 * 3600_000).toISOString().replace(/\.\d+Z$/, '+0800');
    await expectSignedResult(await signedPost(t.app, path, body, { requestTime: plus8 }), 'ORDER_NOT_EXIST', 'F');
  });

  it('answers malformed JSON with PARAM_ILLEGAL', async () => {
    await expectSignedResult(await signedPost(t.app, path, '{"pspId":'), 'PARAM_ILLEGAL', 'F');
  });

  it('answers a missing required field with PARAM_ILLEGAL naming it', async () => {
    const res = await signedPost(t.app, path, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID });
    await expectSignedResult(res, 'PARAM_ILLEGAL', 'F');
    expect(res.json().result.resultMessage).toContain('paymentRequestId');
  });

  it('answers another pspId with ACCESS_DENIED', async () => {
    await expectSignedResult(await signedPost(t.app, path, { ...body, pspId: '1022088000000009999' }), 'ACCESS_DENIED', 'F');
  });

  it('answers an oversized body with PARAM_ILLEGAL, still HTTP 200 and signed', async () => {
    const huge = { ...body, padding: 'x'.repeat(t.config.bodyLimitBytes + 10) };
    await expectSignedResult(await signedPost(t.app, path, huge), 'PARAM_ILLEGAL', 'F');
  });

  it('answers a JSON array body with PARAM_ILLEGAL', async () => {
    await expectSignedResult(await signedPost(t.app, path, '[1,2]'), 'PARAM_ILLEGAL', 'F');
  });
});
