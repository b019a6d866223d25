/**
 * Issue 16 item 5: answers to our own calls are fresh. An answer to notifyPayment or
 * inquiryCodeRules counts only when it is signed for the configured Alipay+ Client-Id and its
 * Response-Time is inside the signature window: a recorded answer (a validly signed
 * `{"result":{"resultStatus":"S"}}`, the same for every notification) cannot be replayed later to
 * mark a notification delivered or to roll the code rules back. The calls of #18 and #19
 * (userInitiatedPay, getPaymentCode, consultUnbinding, authNotify) go through the same client and
 * its same check: a stale or foreign answer is never an order, a code or an unbinding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlipayPlusClient } from '../../src/alipayplus/client.ts';
import { agreementGateway, paymentCodeGateway } from '../../src/adapters/alipayplus-gateways.ts';
import { userInitiatedPayGateway } from '../../src/adapters/user-initiated-pay.ts';
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

describe('the calls of §8, §9 and §10 believe only fresh answers for our Client-Id', () => {
  const unbinding = { authClientId: 'A', referenceMerchantId: 'M', accessToken: 'token', customerId: 'C' };
  for (const [what, answerAs] of [
    ['a recorded answer (Response-Time an hour old)', { responseTime: new Date(Date.now() - 3600_000) }],
    ['an answer signed for another Client-Id', { clientId: 'ANOTHER_CLIENT' }],
  ] as const) {
    it(`userInitiatedPay, getPaymentCode, consultUnbinding and authNotify refuse ${what}`, async () => {
      fake = await startFakeAlipayPlus({ answerAs });
      const c = client(fake.url);
      expect(await userInitiatedPayGateway(c).userInitiatedPay({ codeValue: 'code', customerId: 'C' })).toMatchObject({
        kind: 'BROKEN',
        reason: expect.stringMatching(/Response-Time|Client-Id/),
      });
      await expect(paymentCodeGateway(c).getPaymentCode({ customerId: 'C' })).rejects.toMatchObject({
        name: 'DependencyUnavailable',
        cause: expect.stringMatching(/Response-Time|Client-Id/),
      });
      expect(await agreementGateway(c).consultUnbinding(unbinding)).toMatchObject({ kind: 'unknown', problem: expect.stringMatching(/Response-Time|Client-Id/) });
      expect(await agreementGateway(c).notifyTokenCanceled(unbinding)).toMatchObject({ kind: 'unknown', problem: expect.stringMatching(/Response-Time|Client-Id/) });
      // Every one of them reached the fake, signed: the answer, not the call, was refused.
      expect(fake.hits.map((h) => h.signatureValid)).toEqual([true, true, true, true]);
    });
  }
});
