/**
 * Issue 16 item 5: answers to our own calls are fresh. An answer to notifyPayment or
 * inquiryCodeRules counts only when it is signed for the configured Alipay+ Client-Id and its
 * Response-Time is inside the signature window: a recorded answer (a validly signed
 * `{"result":{"resultStatus":"S"}}`, the same for every notification) cannot be replayed later to
 * mark a notification delivered or to roll the code rules back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlipayPlusClient } from '../../src/alipayplus/client.ts';
import { loadPrivateKey } from '../../src/alipayplus/signature.ts';
import { type FakeAlipayPlus, startFakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { TEST_CLIENT_ID, testKeys } from '../support/harness.ts';

const mppPrivateKey = loadPrivateKey(testKeys.mppPrivatePem);
let fake: FakeAlipayPlus | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const client = (baseUrl: string) =>
  createAlipayPlusClient({
    baseUrl,
    clientId: TEST_CLIENT_ID,
    mppPrivateKey,
    mppKeyVersion: '1',
    alipayPlusPublicKeys: new Map([['1', testKeys.aplusPublic]]),
    now: () => new Date(),
    maxSkewSeconds: 600,
  });

describe('answers to our outbound calls', () => {
  it('believes a fresh answer signed for our Alipay+ Client-Id', async () => {
    fake = await startFakeAlipayPlus();
    expect(await client(fake.url).notifyPayment('{}')).toMatchObject({ kind: 'answered', result: { resultStatus: 'S' } });
  });

  it('refuses a validly signed answer whose Response-Time is outside the window (a recorded answer replayed)', async () => {
    fake = await startFakeAlipayPlus({ answerAs: { responseTime: new Date(Date.now() - 3600_000) } });
    expect(await client(fake.url).notifyPayment('{}')).toMatchObject({ kind: 'bad-signature', reason: expect.stringContaining('Response-Time') });
    expect(await client(fake.url).inquiryCodeRules()).toMatchObject({ kind: 'bad-signature' });
    fake.setOptions({ answerAs: { responseTime: new Date(Date.now() + 3600_000) } });
    expect(await client(fake.url).notifyPayment('{}')).toMatchObject({ kind: 'bad-signature' });
  });

  it('refuses a validly signed answer for another Client-Id', async () => {
    fake = await startFakeAlipayPlus({ answerAs: { clientId: 'ANOTHER_CLIENT' } });
    expect(await client(fake.url).notifyPayment('{}')).toMatchObject({ kind: 'bad-signature', reason: expect.stringContaining('Client-Id') });
  });
});
