/**
 * §4 revision 2: only what the official pay page (docs.alipayplus.com api_mpp/pay) marks REQUIRED
 * is required. order.merchant.store, merchantAddress.city, merchantDisplayName, order.env, the
 * paymentFactor flags and the top-level optional fields may be absent or null (never ""); unknown
 * fields are ignored. The order is accepted, and the cashier and the app view still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt, createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { PAY_PATH, seedPay, withField } from '../support/payments.ts';
import { press, topUp } from '../support/cashier.ts';

let t: TestApp;
const C = 'C_OPTIONAL';

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '100000');
});
afterAll(async () => t.close());

const pay = async (body: unknown) => (await signedPost(t.app, PAY_PATH, body)).json();

const OPTIONAL_PATHS = [
  'order.merchant.store',
  'order.merchant.merchantAddress.city',
  'order.merchant.merchantDisplayName',
  'order.env',
  'paymentFactor.isInStorePayment',
  'paymentFactor.isCashierPayment',
  'paymentFactor.inStorePaymentScenario',
  'paymentQuote.quoteId',
  'paymentExpiryTime',
  'paymentNotifyUrl',
  'paymentRedirectUrl',
  'paymentPromoInfo',
  'surchargeInfo',
  'passThroughInfo',
  'settlementStrategy',
];

describe('pay: optional fields as the official page has them (§4 revision 2)', () => {
  it.each(OPTIONAL_PATHS)('accepts %s absent and null', async (path) => {
    expect((await pay(withField(seedPay(C), path, undefined))).result.resultCode).toBe('PAYMENT_IN_PROCESS');
    expect((await pay(withField(seedPay(C), path, null))).result.resultCode).toBe('PAYMENT_IN_PROCESS');
  });

  it.each(['order.merchant.merchantAddress.city', 'order.merchant.merchantDisplayName', 'paymentNotifyUrl', 'passThroughInfo'])(
    'refuses %s sent as "" with F PARAM_ILLEGAL naming it',
    async (path) => {
      const res = await pay(withField(seedPay(C), path, ''));
      expect(res.result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
      expect(res.result.resultMessage).toContain(path);
    },
  );

  it.each(['order.merchant.referenceMerchantId', 'order.merchant.merchantAddress.region', 'order.merchant.merchantAddress', 'paymentMethod.paymentMethodId'])(
    'still requires %s (absent or null): F PARAM_ILLEGAL naming it',
    async (path) => {
      for (const value of [undefined, null]) {
        const res = await pay(withField(seedPay(C), path, value));
        expect(res.result.resultCode).toBe('PARAM_ILLEGAL');
        expect(res.result.resultMessage).toContain(path);
      }
    },
  );

  it('ignores unknown fields, at the top and inside the order', async () => {
    const body = { ...withField(seedPay(C), 'order.merchant.somethingNew', { a: '1' }), brandNewField: 'x' };
    expect((await pay(body)).result.resultCode).toBe('PAYMENT_IN_PROCESS');
  });

  it('serves the cashier and the app view of an order without store, city or paymentFactor flags', async () => {
    let body = withField(seedPay(C), 'order.merchant.store', null);
    body = withField(withField(body, 'order.merchant.merchantAddress.city', undefined), 'paymentFactor', {});
    const res = await pay(body);
    expect(res.result.resultCode).toBe('PAYMENT_IN_PROCESS');
    const path = new URL(res.paymentUrl).pathname;
    const page = await t.app.inject({ method: 'GET', url: path });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('UGG');
    expect((await press(t.app, path, 'pay', {}, C)).body).toContain('data-status="SUCCESS"');
    const view = await t.app.inject({
      method: 'GET',
      url: `/app/v1/payments/${res.paymentId}`,
      headers: { authorization: `Bearer ${await appJwt(C)}` },
    });
    expect(view.statusCode).toBe(200);
    expect(view.json().result.resultStatus).toBe('S');
  });
});
