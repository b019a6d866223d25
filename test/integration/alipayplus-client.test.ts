import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlipayPlusClient, INQUIRY_CODE_RULES_PATH } from '../../src/alipayplus/client.ts';
import { loadPrivateKey } from '../../src/alipayplus/signature.ts';
import { type FakeAlipayPlus, startFakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { TEST_CLIENT_ID, testKeys } from '../support/harness.ts';

const mppPrivateKey = loadPrivateKey(testKeys.mppPrivatePem);
let fake: FakeAlipayPlus | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const client = (baseUrl: string | undefined, o: { keyVersion?: string; timeoutMs?: number } = {}) =>
  createAlipayPlusClient({
    baseUrl,
    clientId: TEST_CLIENT_ID,
    mppPrivateKey,
    mppKeyVersion: '1',
    alipayPlusPublicKeys: new Map([[o.keyVersion ?? '1', testKeys.aplusPublic]]),
    now: () => new Date('2025-05-01T08:00:00Z'),
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });

describe('Alipay+ client', () => {
  it('signs the request over its path and query and believes a signed answer', async () => {
    fake = await startFakeAlipayPlus();
    const raw = '{"paymentId":"P1","note":"größe"}';
    const r = await client(undefined).notifyPayment(raw, `${fake.url}/notify/here?x=1&y=2`);
    expect(r).toMatchObject({ kind: 'answered', status: 200, result: { resultCode: 'SUCCESS', resultStatus: 'S' } });
    const [hit] = fake.hits;
    expect(hit?.signatureValid).toBe(true);
    expect(hit?.raw).toBe(raw);
    expect(hit?.headers).toMatchObject({ 'client-id': TEST_CLIENT_ID, 'request-time': '2025-05-01T08:00:00+00:00' });
    expect(hit?.headers['content-type']).toBe('application/json; charset=UTF-8');
  });

  it('calls inquiryCodeRules at the configured base URL and returns the answer', async () => {
    const answer = { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'ok' }, codeRules: [], version: '7' };
    fake = await startFakeAlipayPlus({ answers: { [INQUIRY_CODE_RULES_PATH]: answer } });
    const r = await client(fake.url).inquiryCodeRules();
    expect(r).toMatchObject({ kind: 'answered', body: answer });
    expect(fake.hits[0]?.path).toBe(INQUIRY_CODE_RULES_PATH);
  });

  it('reports an answer that Alipay+ did not sign as bad-signature', async () => {
    fake = await startFakeAlipayPlus({ badSignature: true });
    expect(await client(fake.url).notifyPayment('{}')).toMatchObject({ kind: 'bad-signature', reason: 'signature does not verify' });
  });

  it('reports an answer signed with an unknown keyVersion as bad-signature', async () => {
    fake = await startFakeAlipayPlus();
    expect(await client(fake.url, { keyVersion: '2' }).notifyPayment('{}')).toMatchObject({ kind: 'bad-signature', reason: 'unknown keyVersion 1' });
  });

  it('reports a signed answer without a result as malformed', async () => {
    fake = await startFakeAlipayPlus({ answers: { [INQUIRY_CODE_RULES_PATH]: { codeRules: [] } } });
    expect(await client(fake.url).inquiryCodeRules()).toMatchObject({ kind: 'malformed-answer', reason: 'no valid result' });
  });

  it('reports an HTTP failure, a refused connection and a slow answer', async () => {
    fake = await startFakeAlipayPlus({ failTimes: 1 });
    expect(await client(fake.url).notifyPayment('{}')).toEqual({ kind: 'http-error', status: 500 });

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect((await client(`http://127.0.0.1:${port}`).notifyPayment('{}')).kind).toBe('network-error');

    fake.setOptions({ delayMs: 300 });
    expect(await client(fake.url, { timeoutMs: 50 }).notifyPayment('{}')).toEqual({ kind: 'timeout' });
  });

  it('keeps calls queued when no URL is known, and refuses non-HTTP URLs', async () => {
    expect(await client(undefined).notifyPayment('{}')).toEqual({ kind: 'not-configured' });
    expect(await client(undefined).inquiryCodeRules()).toEqual({ kind: 'not-configured' });
    expect((await client(undefined).notifyPayment('{}', 'file:///etc/passwd')).kind).toBe('network-error');
  });
});
