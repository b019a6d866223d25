/**
 * Issue 16 item 7: outbound URLs are constrained. A paymentNotifyUrl must be https (http only when
 * OUTBOUND_HTTP_ALLOWED, for local runs), on NOTIFY_URL_ALLOWED_HOSTS, and not an internal or
 * loopback address (unless OUTBOUND_PRIVATE_ADDRESSES_ALLOWED); the URL a code rule hands to the
 * app must be https and public too. The notify sender checks again at send time. The same check
 * holds for the synchronous pays of #19 (same pay route) and for the order a §8 userInitiatedPay
 * answer carries (#18): Alipay+'s order is not stored with a URL we would refuse at pay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlipayPlusClient } from '../../src/alipayplus/client.ts';
import { loadPrivateKey } from '../../src/alipayplus/signature.ts';
import { startFakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { appJwt, createCustomer, signedPost, type TestApp, testApp, TEST_CLIENT_ID, testKeys } from '../support/harness.ts';
import { issueOrderCode } from '../../src/simulator/order-codes.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { initiate, LOCAL_OUTBOUND_ENV, startTestSimulator } from '../support/initiate.ts';
import { newRequestId, PAY_PATH, seedPay } from '../support/payments.ts';
import { agreementPay, codePay } from '../support/sync-pay.ts';

const ruleOpening = (prefix: string) => ({
  codeMatchPattern: { matchMethod: 'PREFIX', priority: 3000, prefix },
  postCodeMatchAction: { postCodeMatchActionType: 'OPEN_URL', urlConstructionMethod: 'USE_DIRECTLY', userAgent: 'AlipayConnect' },
});
const presetCodeRules = async () => ({
  result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' },
  version: 'outbound-urls-test',
  codeRules: [
    ruleOpening('https://g.alipayplus.com/page/'),
    ruleOpening('http://g.alipayplus.com/page/'),
    ruleOpening('https://10.1.2.3/page/'),
    ruleOpening('https://localhost/page/'),
  ],
});

let strict: TestApp;
let local: TestApp;
// Alipay+ for the §8 case: it names its own http://127.0.0.1 notify URL in an order (notifyUrl: true).
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator();
  strict = await testApp({
    env: { ALIPAYPLUS_BASE_URL: sim.url, NOTIFY_URL_ALLOWED_HOSTS: 'aplus.test,*.alipayplus.test,127.0.0.1,10.0.0.5,localhost' },
    extra: { presetCodeRules },
  });
  local = await testApp({ env: { ALIPAYPLUS_BASE_URL: sim.url, ...LOCAL_OUTBOUND_ENV } });
  await createCustomer(strict.app, 'C_URL', 'KRW');
  await createCustomer(local.app, 'C_URL', 'KRW');
});
afterAll(async () => {
  await strict?.close();
  await local?.close();
  await sim?.close();
});

const payWith = (t: TestApp, paymentNotifyUrl: string) => signedPost(t.app, PAY_PATH, { ...seedPay('C_URL', newRequestId()), paymentNotifyUrl });

describe('paymentNotifyUrl', () => {
  it('accepts https on an allowed host (exact or a subdomain of a *. entry)', async () => {
    for (const url of ['https://aplus.test/notify', 'https://api.alipayplus.test/aps/notify?x=1']) {
      expect((await payWith(strict, url)).json().result.resultCode, url).toBe('PAYMENT_IN_PROCESS');
    }
  });

  it.each([
    ['http://aplus.test/notify', 'https'],
    ['https://evil.test/notify', 'allowed'],
    ['https://alipayplus.test.evil.test/notify', 'allowed'],
    ['https://user:pw@aplus.test/notify', 'credentials'],
    ['https://127.0.0.1/notify', 'internal'],
    ['https://10.0.0.5/notify', 'internal'],
    ['https://localhost/notify', 'internal'],
  ])('refuses %s with F PARAM_ILLEGAL naming paymentNotifyUrl (%s)', async (url, why) => {
    const res = await payWith(strict, url);
    expect(res.json().result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(res.json().result.resultMessage).toContain('paymentNotifyUrl');
    expect(res.json().result.resultMessage).toContain(why);
  });

  it('refuses it on the synchronous pays too (§9 payment code, §10 Auto Debit): nothing stored', async () => {
    for (const body of [codePay('C_URL'), agreementPay('C_URL', 'a'.repeat(43))]) {
      const res = await signedPost(strict.app, PAY_PATH, { ...body, paymentNotifyUrl: 'https://169.254.169.254/latest/meta-data' });
      expect(res.json().result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
      expect(res.json().result.resultMessage).toContain('paymentNotifyUrl');
      const stored = await strict.database.db
        .selectFrom('payments')
        .select('id')
        .where('payment_request_id', '=', body.paymentRequestId as string)
        .execute();
      expect(stored).toHaveLength(0);
    }
  });

  it('accepts http and loopback only when configured (local runs)', async () => {
    expect((await payWith(local, 'http://127.0.0.1:4567/notify')).json().result.resultCode).toBe('PAYMENT_IN_PROCESS');
  });
});

describe("the order of a §8 userInitiatedPay answer (Alipay+'s paymentNotifyUrl)", () => {
  it('is not stored when its paymentNotifyUrl is one pay would refuse (http, loopback); it is when the policy allows it', async () => {
    const refused = await initiate(strict.app, 'C_URL', issueOrderCode({ scenario: 'fx', notifyUrl: true }));
    expect(refused.body.result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(refused.body.result.resultMessage).toContain('paymentNotifyUrl');
    expect(
      await strict.database.db.selectFrom('payments').select('id').where('customer_id', '=', 'C_URL').where('payment_request_id', 'like', 'UIP%').execute(),
    ).toHaveLength(0);
    const accepted = await initiate(local.app, 'C_URL', issueOrderCode({ scenario: 'fx', notifyUrl: true }));
    expect(accepted.body.result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
  });
});

describe('the sender checks again at send time', () => {
  it('does not send to a URL the policy refuses (a queued row, a changed configuration)', async () => {
    const fake = await startFakeAlipayPlus();
    try {
      const client = createAlipayPlusClient({
        baseUrl: undefined,
        clientId: TEST_CLIENT_ID,
        mppPrivateKey: loadPrivateKey(testKeys.mppPrivatePem),
        mppKeyVersion: '1',
        alipayPlusPublicKeys: new Map([['1', testKeys.aplusPublic]]),
        now: () => new Date(),
        notifyUrlPolicy: { allowHttp: false, allowPrivateAddresses: false, allowedHosts: ['127.0.0.1'] },
      });
      const r = await client.notifyPayment('{}', `${fake.url}/notify`);
      expect(r).toMatchObject({ kind: 'refused-url' });
      expect(fake.hits).toHaveLength(0);
    } finally {
      await fake.close();
    }
  });
});

describe('URLs a code rule hands to the app', () => {
  const identify = async (codeValue: string) =>
    (
      await strict.app.inject({ method: 'POST', url: '/app/v1/codes/identify', headers: { authorization: `Bearer ${await appJwt('C_URL')}` }, payload: { codeValue } })
    ).json();

  it('hands an https public URL to the app', async () => {
    expect(await identify('https://g.alipayplus.com/page/x')).toMatchObject({
      isAcCode: true,
      postCodeMatchActionType: 'OPEN_URL',
      redirectUrl: 'https://g.alipayplus.com/page/x',
    });
  });

  it.each(['http://g.alipayplus.com/page/x', 'https://10.1.2.3/page/x', 'https://localhost/page/x'])('never hands %s to the app', async (code) => {
    const body = await identify(code);
    expect(body.isAcCode).toBe(false);
    expect(body.redirectUrl).toBeUndefined();
  });
});
