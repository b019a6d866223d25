import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashCashierToken } from '../../src/domain/payments/ids.ts';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { findByCashierToken } from '../../src/persistence/payment-queries.ts';
import { paymentUnitOfWork } from '../../src/persistence/payments-repository.ts';
import { appJwt, createCustomer, FakeClock, responseSignatureValid, signedPost, type TestApp, testApp, TEST_ACQUIRER_ID, TEST_PSP_ID } from '../support/harness.ts';
import { INQUIRY_PATH, newRequestId, PAY_PATH, type PayBody, seedPay, tokenOf, withField } from '../support/payments.ts';

const KRW = 'C_KRW_1';
const FROZEN = 'C_KRW_FROZEN';
const OTHER = 'C_KRW_2';
const LIMIT_KRW = 5_000_000n;

let t: TestApp;
const clock = new FakeClock();

beforeAll(async () => {
  t = await testApp({ clock, env: { SINGLE_PAYMENT_LIMITS: `KRW:${LIMIT_KRW},USD:100000` } });
  await createCustomer(t.app, KRW, 'KRW');
  await createCustomer(t.app, OTHER, 'KRW');
  await createCustomer(t.app, FROZEN, 'KRW', 'FROZEN');
});
afterAll(async () => t.close());
afterEach(() => clock.set(new Date()));

const db = () => t.database.db;
const pay = (body: unknown) => signedPost(t.app, PAY_PATH, body);
const inquire = (paymentRequestId: string) => signedPost(t.app, INQUIRY_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId });
const resultOf = (res: { json(): { result: { resultCode: string; resultStatus: string; resultMessage: string } } }) => res.json().result;

async function expectParamIllegal(body: unknown, field: string) {
  const res = await pay(body);
  expect(res.statusCode).toBe(200);
  expect(resultOf(res)).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
  expect(resultOf(res).resultMessage).toContain(field);
}

describe('pay: the seed sample (seed step 5)', () => {
  it('accepts JPY 100 -> KRW 1000 at JPY/KRW 10.0000 as U PAYMENT_IN_PROCESS with paymentId, paymentUrl and customerId', async () => {
    const body = { ...seedPay(KRW), passThroughInfo: '{"k":"v"}' };
    const res = await pay(body);
    expect(res.statusCode).toBe(200);
    expect(await responseSignatureValid(PAY_PATH, res)).toBe(true);
    const answer = res.json();
    expect(answer.result).toEqual({ resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: 'Payment is in process' });
    expect(answer.paymentId).toMatch(/^[0-9]{32}$/);
    expect(answer.customerId).toBe(KRW);
    expect(answer.paymentAmount).toEqual({ currency: 'JPY', value: '100' });
    expect(answer.payToAmount).toEqual({ currency: 'KRW', value: '1000' });
    expect(answer.passThroughInfo).toBe('{"k":"v"}');
    expect(answer.paymentUrl).toMatch(/^http:\/\/mpp\.test\/cashier\/[A-Za-z0-9_-]{43}$/);
  });

  it('resolves the paymentUrl token to the payment, storing only its SHA-256', async () => {
    const res = await pay(seedPay(KRW));
    const token = tokenOf(res.json().paymentUrl);
    const payment = await findByCashierToken(db(), token);
    expect(payment?.paymentId).toBe(res.json().paymentId);
    const row = await db().selectFrom('payments').select(['cashier_token_hash']).where('id', '=', res.json().paymentId).executeTakeFirstOrThrow();
    expect(row.cashier_token_hash).toBe(hashCashierToken(token));
    expect(row.cashier_token_hash).not.toContain(token);
    expect(await findByCashierToken(db(), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(await findByCashierToken(db(), 'short')).toBeUndefined();
  });

  it('stores the full request, the quote and the surcharge, PROCESSING with one history row', async () => {
    const body = withField(seedPay(KRW), 'surchargeInfo', { surchargeAmount: { currency: 'KRW', value: '30' } });
    const res = await pay({ ...body, paymentNotifyUrl: 'https://aplus.test/notify', paymentRedirectUrl: 'https://merchant.test/done' });
    const id = res.json().paymentId;
    const row = await db().selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'PROCESSING', result_code: 'PAYMENT_IN_PROCESS', customer_id: KRW, quote_id: '1234567', quote_pair: 'JPY/KRW' });
    expect(row.quote_price).toMatch(/^10\.0+$/);
    expect([row.payment_minor, row.pay_to_minor, row.surcharge_minor, row.debit_minor]).toEqual([100n, 1000n, 30n, 1030n]);
    expect(row.surcharge_currency).toBe('KRW');
    const stored = row.request as Record<string, any>;
    expect(stored.order.merchant.store.storeName).toBe('UGG-2');
    expect(stored.paymentRedirectUrl).toBe('https://merchant.test/done');
    expect(stored.paymentMethod.paymentMethodId).toBeUndefined();
    expect(stored.paymentMethod.paymentMethodIdSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(t.config.orderExpirySeconds * 1000);
    const history = await db().selectFrom('payment_status_history').selectAll().where('payment_id', '=', id).execute();
    expect(history).toMatchObject([{ from_status: null, to_status: 'PROCESSING', reason: 'ACCEPTED' }]);
  });

  it('expires at paymentExpiryTime when given', async () => {
    const at = new Date(clock.now().getTime() + 60_000);
    const res = await pay({ ...seedPay(KRW), paymentExpiryTime: isoWithOffset(at).replace('+00:00', '+00:00') });
    const row = await db().selectFrom('payments').select('expires_at').where('id', '=', res.json().paymentId).executeTakeFirstOrThrow();
    expect(row.expires_at.getTime()).toBe(Math.floor(at.getTime() / 1000) * 1000);
  });

  it('treats an optional field sent as null as absent', async () => {
    const res = await pay({ ...seedPay(KRW), paymentExpiryTime: null, passThroughInfo: null });
    expect(resultOf(res).resultCode).toBe('PAYMENT_IN_PROCESS');
  });
});

describe('pay: idempotency on paymentRequestId (§4)', () => {
  it('replays the stored answer for a repeated paymentRequestId: same paymentId and paymentUrl', async () => {
    const body = seedPay(KRW);
    const first = await pay(body);
    const again = await pay(body);
    expect(again.json()).toEqual(first.json());
    const count = await db()
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('payment_request_id', '=', body.paymentRequestId)
      .executeTakeFirstOrThrow();
    expect(BigInt(count.n as bigint)).toBe(1n);
  });

  it.each([
    ['paymentAmount', (b: PayBody) => withField(withField(b, 'paymentAmount.value', '101'), 'payToAmount.value', '1010')],
    ['payToAmount', (b: PayBody) => withField(withField(b, 'payToAmount.value', '1010'), 'paymentAmount.value', '101')],
    ['paymentMethod.customerId', (b: PayBody) => withField(b, 'paymentMethod.customerId', OTHER)],
    ['paymentMethod.paymentMethodId', (b: PayBody) => withField(b, 'paymentMethod.paymentMethodId', 'another-token')],
    ['surchargeInfo', (b: PayBody) => withField(b, 'surchargeInfo', { surchargeAmount: { currency: 'KRW', value: '1' } })],
    ['paymentPromoInfo', (b: PayBody) => withField(b, 'paymentPromoInfo', { paymentPromoDetails: [{ promoId: 'P1', savingsAmount: { currency: 'JPY', value: '5' } }] })],
  ])('rejects the same id with a different %s as F REPEAT_REQ_INCONSISTENT', async (_field, change) => {
    const body = seedPay(KRW);
    const first = await pay(body);
    expect(resultOf(first).resultCode).toBe('PAYMENT_IN_PROCESS');
    const res = await pay(change(body));
    expect(resultOf(res)).toMatchObject({ resultCode: 'REPEAT_REQ_INCONSISTENT', resultStatus: 'F' });
    expect(await responseSignatureValid(PAY_PATH, res)).toBe(true);
    // and the first answer still replays
    expect((await pay(body)).json()).toEqual(first.json());
  });

  it('replays the first answer when only fields outside the key change (order description)', async () => {
    const body = seedPay(KRW);
    const first = await pay(body);
    const res = await pay(withField(body, 'order.orderDescription', 'BOOTS'));
    expect(res.json()).toEqual(first.json());
  });

  it('records a final F under the key: a repeat after the customer appears is still USER_NOT_EXIST', async () => {
    const customer = `C_LATE_${newRequestId('')}`.slice(0, 40);
    const body = seedPay(customer);
    expect(resultOf(await pay(body))).toMatchObject({ resultCode: 'USER_NOT_EXIST', resultStatus: 'F' });
    await createCustomer(t.app, customer, 'KRW');
    expect(resultOf(await pay(body))).toMatchObject({ resultCode: 'USER_NOT_EXIST', resultStatus: 'F' });
    const changed = withField(withField(body, 'paymentAmount.value', '7'), 'payToAmount.value', '70');
    expect(resultOf(await pay(changed))).toMatchObject({ resultCode: 'REPEAT_REQ_INCONSISTENT' });
  });

  it('does not consume the key with a malformed request: the corrected request is accepted', async () => {
    const body = seedPay(KRW);
    await expectParamIllegal(withField(body, 'paymentQuote.quotePrice', '11'), 'payToAmount.value');
    await expectParamIllegal(withField(body, 'order.merchant.merchantName', undefined), 'order.merchant.merchantName');
    expect(resultOf(await pay(body)).resultCode).toBe('PAYMENT_IN_PROCESS');
  });
});

describe('pay: synchronous checks (§4)', () => {
  it('answers F USER_NOT_EXIST for an unknown customer', async () => {
    expect(resultOf(await pay(seedPay('C_NOBODY')))).toMatchObject({ resultCode: 'USER_NOT_EXIST', resultStatus: 'F' });
  });

  it('answers F USER_STATUS_ABNORMAL for a frozen customer', async () => {
    expect(resultOf(await pay(seedPay(FROZEN)))).toMatchObject({ resultCode: 'USER_STATUS_ABNORMAL', resultStatus: 'F' });
  });

  it('answers F CURRENCY_NOT_SUPPORT when payToAmount is not in the wallet currency', async () => {
    const body = withField(
      withField(withField(seedPay(KRW), 'payToAmount', { currency: 'USD', value: '67' }), 'paymentQuote.quoteCurrencyPair', 'JPY/USD'),
      'paymentQuote.quotePrice',
      '0.0067',
    );
    const r = resultOf(await pay(body));
    expect(r).toMatchObject({ resultCode: 'CURRENCY_NOT_SUPPORT', resultStatus: 'F' });
    expect(r.resultMessage).toContain('KRW');
  });

  it.each([['paymentAmount.currency'], ['payToAmount.currency'], ['order.orderAmount.currency']])(
    'answers F CURRENCY_NOT_SUPPORT for a well-formed code outside ISO 4217 in %s',
    async (field) => {
      const r = resultOf(await pay(withField(seedPay(KRW), field, 'XYZ')));
      expect(r).toMatchObject({ resultCode: 'CURRENCY_NOT_SUPPORT', resultStatus: 'F' });
      expect(r.resultMessage).toContain(field);
    },
  );

  it('answers F PARAM_ILLEGAL naming payToAmount.value when the FX result is off by one', async () => {
    await expectParamIllegal(withField(seedPay(KRW), 'payToAmount.value', '1001'), 'payToAmount.value');
  });

  it('accepts the pair in the other order (KRW/JPY 0.1 divides)', async () => {
    const body = withField(withField(seedPay(KRW), 'paymentQuote.quoteCurrencyPair', 'KRW/JPY'), 'paymentQuote.quotePrice', '0.1');
    expect(resultOf(await pay(body)).resultCode).toBe('PAYMENT_IN_PROCESS');
  });

  it('answers F PARAM_ILLEGAL for different currencies without a quote, naming paymentQuote', async () => {
    await expectParamIllegal(withField(seedPay(KRW), 'paymentQuote', undefined), 'paymentQuote');
  });

  it('answers F PARAM_ILLEGAL for a quote pair that does not convert the payment', async () => {
    await expectParamIllegal(withField(seedPay(KRW), 'paymentQuote.quoteCurrencyPair', 'USD/KRW'), 'paymentQuote.quoteCurrencyPair');
  });

  it('accepts one currency without a quote when the amounts are equal, and refuses them unequal', async () => {
    const same = withField(withField(seedPay(KRW), 'paymentAmount', { currency: 'KRW', value: '1000' }), 'paymentQuote', undefined);
    expect(resultOf(await pay(same)).resultCode).toBe('PAYMENT_IN_PROCESS');
    await expectParamIllegal(withField(same, 'paymentAmount.value', '999') as unknown, 'payToAmount.value');
  });

  it('answers F PAYMENT_AMOUNT_EXCEED_LIMIT above the wallet currency limit, and accepts the limit itself', async () => {
    const at = (krw: bigint) =>
      withField(
        withField(withField(seedPay(KRW), 'paymentAmount', { currency: 'KRW', value: String(krw) }), 'payToAmount.value', String(krw)),
        'paymentQuote',
        undefined,
      );
    expect(resultOf(await pay(at(LIMIT_KRW))).resultCode).toBe('PAYMENT_IN_PROCESS');
    expect(resultOf(await pay(at(LIMIT_KRW + 1n)))).toMatchObject({ resultCode: 'PAYMENT_AMOUNT_EXCEED_LIMIT', resultStatus: 'F' });
  });

  it('counts the surcharge in the limit (the user pays it on top)', async () => {
    const body = withField(
      withField(
        withField(withField(seedPay(KRW), 'paymentAmount', { currency: 'KRW', value: String(LIMIT_KRW) }), 'payToAmount.value', String(LIMIT_KRW)),
        'paymentQuote',
        undefined,
      ),
      'surchargeInfo',
      { surchargeAmount: { currency: 'KRW', value: '1' } },
    );
    expect(resultOf(await pay(body)).resultCode).toBe('PAYMENT_AMOUNT_EXCEED_LIMIT');
  });

  it('answers F ORDER_IS_CLOSED when paymentExpiryTime has already passed', async () => {
    const past = isoWithOffset(new Date(clock.now().getTime() - 1000));
    expect(resultOf(await pay({ ...seedPay(KRW), paymentExpiryTime: past }))).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
  });

  it('checks the customer before the currency, the currency before the limit, the limit before the expiry', async () => {
    const past = isoWithOffset(new Date(clock.now().getTime() - 1000));
    const usd = withField(
      withField(withField(seedPay(FROZEN), 'payToAmount', { currency: 'USD', value: '999999999' }), 'paymentAmount', { currency: 'USD', value: '999999999' }),
      'paymentQuote',
      undefined,
    );
    expect(resultOf(await pay({ ...usd, paymentExpiryTime: past })).resultCode).toBe('USER_STATUS_ABNORMAL');
    const usdForKrw = { ...withField(usd, 'paymentMethod.customerId', KRW), paymentRequestId: newRequestId(), paymentExpiryTime: past };
    expect(resultOf(await pay(usdForKrw)).resultCode).toBe('CURRENCY_NOT_SUPPORT');
    const big = withField(
      withField(withField(seedPay(KRW), 'paymentAmount', { currency: 'KRW', value: '99999999' }), 'payToAmount.value', '99999999'),
      'paymentQuote',
      undefined,
    );
    expect(resultOf(await pay({ ...big, paymentExpiryTime: past })).resultCode).toBe('PAYMENT_AMOUNT_EXCEED_LIMIT');
  });

  it('converts a surcharge in the order currency at the payment quote, and refuses one it cannot convert', async () => {
    const jpy = await pay(withField(seedPay(KRW), 'surchargeInfo', { surchargeAmount: { currency: 'JPY', value: '3' } }));
    const row = await db().selectFrom('payments').select(['debit_minor', 'surcharge_currency']).where('id', '=', jpy.json().paymentId).executeTakeFirstOrThrow();
    expect(row).toEqual({ debit_minor: 1030n, surcharge_currency: 'JPY' });
    await expectParamIllegal(withField(seedPay(KRW), 'surchargeInfo', { surchargeAmount: { currency: 'USD', value: '3' } }), 'surchargeInfo.surchargeQuote');
    const quoted = withField(seedPay(KRW), 'surchargeInfo', {
      surchargeAmount: { currency: 'USD', value: '100' },
      surchargeQuote: { quoteCurrencyPair: 'USD/KRW', quotePrice: '1350.5' },
    });
    const ok = await pay(quoted);
    const debit = await db().selectFrom('payments').select('debit_minor').where('id', '=', ok.json().paymentId).executeTakeFirstOrThrow();
    expect(debit.debit_minor).toBe(1000n + 1351n); // 1350.5 rounded half up
  });
});

describe('pay: the configured FX rounding mode and tolerance (§2)', () => {
  // JPY 15 at JPY/USD 0.0071 is USD 0.1065: 10.65 cents, so 11 half-up and 10 rounding down.
  const USD = 'C_USD_FX';
  const usdPay = (cents: number) =>
    withField(withField(withField(seedPay(USD), 'paymentAmount.value', '15'), 'payToAmount', { currency: 'USD', value: String(cents) }), 'paymentQuote', {
      quoteId: 'Q-USD',
      quoteCurrencyPair: 'JPY/USD',
      quotePrice: '0.0071',
    });
  const codesFor = async (app: TestApp, cents: number[]) => Promise.all(cents.map(async (c) => resultOf(await signedPost(app.app, PAY_PATH, usdPay(c))).resultCode));

  beforeAll(async () => createCustomer(t.app, USD, 'USD'));

  it('rounds half up by default with no tolerance', async () => {
    expect(await codesFor(t, [10, 11, 12])).toEqual(['PARAM_ILLEGAL', 'PAYMENT_IN_PROCESS', 'PARAM_ILLEGAL']);
  });

  it('follows FX_ROUNDING_MODE and FX_TOLERANCE_MINOR', async () => {
    const down = await testApp({ database: t.database, clock, env: { FX_ROUNDING_MODE: 'ROUND_DOWN' } });
    const tolerant = await testApp({ database: t.database, clock, env: { FX_TOLERANCE_MINOR: '1' } });
    try {
      expect(await codesFor(down, [10, 11])).toEqual(['PAYMENT_IN_PROCESS', 'PARAM_ILLEGAL']);
      expect(await codesFor(tolerant, [9, 10, 11, 12, 13])).toEqual(['PARAM_ILLEGAL', 'PAYMENT_IN_PROCESS', 'PAYMENT_IN_PROCESS', 'PAYMENT_IN_PROCESS', 'PARAM_ILLEGAL']);
    } finally {
      await down.close();
      await tolerant.close();
    }
  });
});

describe('pay: every field validated (F PARAM_ILLEGAL naming the field)', () => {
  const long = (n: number) => 'x'.repeat(n);
  const base = () => ({
    ...seedPay(KRW),
    paymentExpiryTime: isoWithOffset(new Date(Date.now() + 600_000)),
    paymentNotifyUrl: 'https://aplus.test/notify',
    paymentRedirectUrl: 'https://merchant.test/done',
    passThroughInfo: 'abc',
    paymentPromoInfo: { paymentPromoDetails: [{ promoId: 'P1', promoName: 'Spring', promoType: 'DISCOUNT', savingsAmount: { currency: 'JPY', value: '5' } }] },
    order: { ...seedPay(KRW).order, env: { userAgent: 'Mozilla/5.0', terminalType: 'APP' } },
  });

  const missing = [
    'acquirerId',
    'pspId',
    'order',
    'order.referenceOrderId',
    'order.orderDescription',
    'order.orderAmount',
    'order.orderAmount.currency',
    'order.orderAmount.value',
    'order.merchant',
    'order.merchant.referenceMerchantId',
    'order.merchant.merchantMCC',
    'order.merchant.merchantName',
    'order.merchant.merchantAddress',
    'order.merchant.merchantAddress.region',
    'order.merchant.merchantAddress.city',
    'order.merchant.store',
    'order.merchant.store.referenceStoreId',
    'order.merchant.store.storeName',
    'order.merchant.store.storeMCC',
    'paymentRequestId',
    'paymentAmount',
    'paymentAmount.currency',
    'paymentAmount.value',
    'payToAmount',
    'payToAmount.currency',
    'payToAmount.value',
    'paymentMethod',
    'paymentMethod.paymentMethodType',
    'paymentMethod.paymentMethodId',
    'paymentMethod.customerId',
    'paymentFactor',
    'paymentFactor.isInStorePayment',
    'paymentFactor.isCashierPayment',
    'paymentQuote.quoteCurrencyPair',
    'paymentQuote.quotePrice',
    'paymentPromoInfo.paymentPromoDetails',
    'paymentPromoInfo.paymentPromoDetails.0.promoId',
    'paymentPromoInfo.paymentPromoDetails.0.savingsAmount',
  ];
  it.each(missing)('refuses a request without %s', async (field) => {
    await expectParamIllegal(withField(base(), field, undefined), field);
  });

  const oversized: [string, number][] = [
    ['acquirerId', 65],
    ['order.referenceOrderId', 65],
    ['order.orderDescription', 257],
    ['order.merchant.referenceMerchantId', 65],
    ['order.merchant.merchantMCC', 33],
    ['order.merchant.merchantName', 257],
    ['order.merchant.merchantDisplayName', 257],
    ['order.merchant.merchantAddress.city', 129],
    ['order.merchant.store.referenceStoreId', 65],
    ['order.merchant.store.storeName', 257],
    ['order.merchant.store.storeMCC', 33],
    ['order.env.userAgent', 1025],
    ['order.env.terminalType', 33],
    ['paymentRequestId', 65],
    ['paymentMethod.paymentMethodId', 257],
    ['paymentMethod.customerId', 65],
    ['paymentQuote.quoteId', 65],
    ['paymentExpiryTime', 65],
    ['paymentNotifyUrl', 2049],
    ['paymentRedirectUrl', 2049],
    ['passThroughInfo', 20_001],
    ['paymentPromoInfo.paymentPromoDetails.0.promoId', 65],
    ['paymentPromoInfo.paymentPromoDetails.0.promoName', 257],
    ['paymentPromoInfo.paymentPromoDetails.0.promoType', 65],
  ];
  it.each(oversized)('refuses an oversized %s (%i characters)', async (field, n) => {
    const value = field.endsWith('Url') ? `https://a.test/${long(n - 15)}` : long(n);
    await expectParamIllegal(withField(base(), field, value), field);
  });

  const wrong: [string, unknown][] = [
    ['order', 'SHOES'],
    ['order.orderAmount.value', '-100'],
    ['order.orderAmount.value', 100],
    ['paymentAmount.value', '0100'],
    ['paymentAmount.value', '1.5'],
    ['paymentAmount.value', '0'],
    ['payToAmount.value', '12345678901234567890'],
    ['payToAmount.currency', 'krw'],
    ['order.merchant.merchantAddress.region', 'JPN'],
    ['order.merchant.merchantDisplayName', ''],
    ['order.orderDescription', ''],
    ['paymentMethod.paymentMethodType', 'CARD'],
    ['paymentFactor.isInStorePayment', 'yes'],
    ['paymentFactor.isCashierPayment', true],
    ['paymentFactor.isAgreementPayment', 'TRUE'],
    ['paymentFactor.needSurcharge', 'no'],
    ['paymentFactor.inStorePaymentScenario', 'ScanCode'],
    ['paymentQuote.quoteCurrencyPair', 'JPYKRW'],
    ['paymentQuote.quotePrice', '-10'],
    ['paymentQuote.quotePrice', '1e1'],
    ['paymentQuote.quotePrice', '0'],
    ['paymentExpiryTime', '2030-06-06 12:12:12'],
    ['paymentExpiryTime', '2030-06-06T12:12:12'],
    ['paymentExpiryTime', '2030-13-06T12:12:12+08:00'],
    ['paymentNotifyUrl', 'ftp://aplus.test/notify'],
    ['paymentNotifyUrl', 'not a url'],
    ['paymentRedirectUrl', 'not a url'],
    ['passThroughInfo', ''],
    ['passThroughInfo', { a: 1 }],
    ['paymentPromoInfo.paymentPromoDetails', []],
    ['paymentPromoInfo.paymentPromoDetails.0.savingsAmount.value', '-5'],
    ['surchargeInfo.surchargeAmount', { currency: 'KRW' }],
    ['surchargeInfo.surchargeQuote.quotePrice', 'abc'],
    ['order.env', 'web'],
  ];
  it.each(wrong)('refuses %s = %j', async (field, value) => {
    const body = field.startsWith('surchargeInfo')
      ? withField(
          { ...base(), surchargeInfo: { surchargeAmount: { currency: 'KRW', value: '1' }, surchargeQuote: { quoteCurrencyPair: 'JPY/KRW', quotePrice: '10' } } },
          field,
          value,
        )
      : withField(base(), field, value);
    await expectParamIllegal(body, field === 'paymentPromoInfo.paymentPromoDetails.0.savingsAmount.value' ? 'savingsAmount.value' : field);
  });

  it('refuses more than 20 promotion details', async () => {
    const details = Array.from({ length: 21 }, (_, i) => ({ promoId: `P${i}`, savingsAmount: { currency: 'JPY', value: '1' } }));
    await expectParamIllegal(withField(base(), 'paymentPromoInfo.paymentPromoDetails', details), 'paymentPromoInfo.paymentPromoDetails');
  });

  it('accepts the full request with every optional field', async () => {
    expect(resultOf(await pay(base())).resultCode).toBe('PAYMENT_IN_PROCESS');
  });
});

describe('expiry, inquiry and the final result (§4, §5)', () => {
  it('after the expiry inquiry says F ORDER_IS_CLOSED before any sweep, and a repeat pay answers it too', async () => {
    const body = seedPay(KRW);
    const accepted = (await pay(body)).json();
    expect((await inquire(body.paymentRequestId)).json().paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
    clock.advance(t.config.orderExpirySeconds * 1000);
    const inquiry = (await inquire(body.paymentRequestId)).json();
    expect(inquiry.result.resultCode).toBe('SUCCESS');
    expect(inquiry.paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect(inquiry.paymentId).toBe(accepted.paymentId);
    const repeat = (await pay(body)).json();
    expect(repeat.result).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect(repeat.paymentId).toBe(accepted.paymentId);
    expect(repeat.paymentUrl).toBeUndefined();
    const history = await db().selectFrom('payment_status_history').selectAll().where('payment_id', '=', accepted.paymentId).orderBy('changed_at').execute();
    expect(history.map((h) => [h.to_status, h.reason])).toEqual([
      ['PROCESSING', 'ACCEPTED'],
      ['CLOSED', 'EXPIRED'],
    ]);
    // the sweeper has nothing left to do for it
    const closedNow = await t.jobs.find((j) => j.name === 'expiry-sweeper')!.runOnce(clock.now());
    const after = await db().selectFrom('payment_status_history').selectAll().where('payment_id', '=', accepted.paymentId).execute();
    expect(after).toHaveLength(2);
    expect(closedNow).toBeGreaterThanOrEqual(0);
  });

  it('after the sweeper closed it, a repeat pay answers F ORDER_IS_CLOSED with the same paymentId', async () => {
    const body = { ...seedPay(KRW), paymentExpiryTime: isoWithOffset(new Date(clock.now().getTime() + 5000)) };
    const accepted = (await pay(body)).json();
    clock.advance(5000);
    expect(await t.jobs.find((j) => j.name === 'expiry-sweeper')!.runOnce(clock.now())).toBeGreaterThanOrEqual(1);
    const repeat = (await pay(body)).json();
    expect(repeat.result.resultCode).toBe('ORDER_IS_CLOSED');
    expect(repeat.paymentId).toBe(accepted.paymentId);
  });

  it('a paid order replays S SUCCESS with paymentTime; once cancelled, inquiry and pay say F ORDER_IS_CLOSED', async () => {
    const body = { ...seedPay(KRW), paymentPromoInfo: { paymentPromoDetails: [{ promoId: 'P9', savingsAmount: { currency: 'JPY', value: '10' } }] } };
    const accepted = (await pay(body)).json();
    const uow = paymentUnitOfWork(db());
    const paidAt = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
    const paid = await uow.run(({ payments }) => payments.completePayment(accepted.paymentId, { now: paidAt }));
    expect(paid?.status).toBe('SUCCESS');
    const repeat = (await pay(body)).json();
    expect(repeat.result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(repeat.paymentTime).toBe(isoWithOffset(paidAt));
    expect(repeat.paymentId).toBe(accepted.paymentId);
    const inquiry = (await inquire(body.paymentRequestId)).json();
    expect(inquiry).toMatchObject({ paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' }, paymentTime: isoWithOffset(paidAt), customerId: KRW });
    expect(inquiry.paymentPromoInfo).toEqual(body.paymentPromoInfo);
    // expiry after payment changes nothing
    clock.advance(t.config.orderExpirySeconds * 1000);
    expect((await inquire(body.paymentRequestId)).json().paymentResult.resultCode).toBe('SUCCESS');
    await uow.run(({ payments }) => payments.cancelPayment(accepted.paymentId, { now: clock.now(), reason: 'CANCEL_PAYMENT' }));
    expect((await inquire(body.paymentRequestId)).json().paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect((await pay(body)).json().result).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
  });

  it('cannot complete an order past its expiry even before the sweep', async () => {
    const accepted = (await pay(seedPay(KRW))).json();
    clock.advance(t.config.orderExpirySeconds * 1000);
    const uow = paymentUnitOfWork(db());
    expect(await uow.run(({ payments }) => payments.completePayment(accepted.paymentId, { now: clock.now() }))).toBeUndefined();
  });

  it('answers inquiry for a refused request with the recorded F, and F ORDER_NOT_EXIST for an unknown one', async () => {
    const body = seedPay('C_NOBODY_2');
    await pay(body);
    const refused = (await inquire(body.paymentRequestId)).json();
    expect(refused.result.resultCode).toBe('SUCCESS');
    expect(refused.paymentResult).toMatchObject({ resultCode: 'USER_NOT_EXIST', resultStatus: 'F' });
    expect(refused.paymentId).toBeUndefined();
    expect(resultOf(await inquire('never-seen-1'))).toMatchObject({ resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F' });
  });
});

describe('GET /app/v1/payments/{paymentId}', () => {
  const get = async (paymentId: string, customerId?: string) =>
    t.app.inject({
      method: 'GET',
      url: `/app/v1/payments/${paymentId}`,
      headers: customerId ? { authorization: `Bearer ${await appJwt(customerId)}` } : {},
    });

  it("shows the customer's own payment", async () => {
    const accepted = (await pay(seedPay(KRW))).json();
    const res = await get(accepted.paymentId, KRW);
    expect(res.statusCode).toBe(200);
    expect(res.json().payment).toMatchObject({
      paymentId: accepted.paymentId,
      status: 'PROCESSING',
      payToAmount: { currency: 'KRW', value: '1000' },
      debitAmount: { currency: 'KRW', value: '1000' },
      paymentQuote: { quoteCurrencyPair: 'JPY/KRW' },
      order: { merchantName: 'UGG', storeName: 'UGG-2', orderDescription: 'SHOES' },
    });
  });

  it("answers 404 for another customer's payment and for an unknown one, 401 without a token", async () => {
    const accepted = (await pay(seedPay(KRW))).json();
    expect((await get(accepted.paymentId, OTHER)).statusCode).toBe(404);
    expect((await get('20990101000000000000000000000000', KRW)).statusCode).toBe(404);
    expect((await get(accepted.paymentId)).statusCode).toBe(401);
    expect((await get('bad%20id', KRW)).statusCode).toBe(400);
  });

  it('shows an overdue order as CLOSED', async () => {
    const accepted = (await pay(seedPay(KRW))).json();
    clock.advance(t.config.orderExpirySeconds * 1000 + 1);
    const res = await get(accepted.paymentId, KRW);
    expect(res.json().payment).toMatchObject({ status: 'CLOSED', paymentResult: { resultCode: 'ORDER_IS_CLOSED' } });
  });
});

describe('schema guards (CHECK constraints)', () => {
  it('refuses an impossible payment row: SUCCESS without payment_time, or a status outside the machine', async () => {
    const accepted = (await pay(seedPay(KRW))).json();
    await expect(sql`update payments set status = 'SUCCESS', result_code = 'SUCCESS' where id = ${accepted.paymentId}`.execute(db())).rejects.toThrow();
    await expect(sql`update payments set status = 'PAID' where id = ${accepted.paymentId}`.execute(db())).rejects.toThrow();
    await expect(sql`update payments set status = 'CLOSED', result_code = 'SUCCESS' where id = ${accepted.paymentId}`.execute(db())).rejects.toThrow();
    await expect(sql`update payments set pay_to_minor = -1 where id = ${accepted.paymentId}`.execute(db())).rejects.toThrow();
  });

  it('keeps the status history append-only', async () => {
    const accepted = (await pay(seedPay(KRW))).json();
    await expect(sql`update payment_status_history set reason = 'X' where payment_id = ${accepted.paymentId}`.execute(db())).rejects.toThrow(/append-only/);
    await expect(sql`delete from payment_status_history where payment_id = ${accepted.paymentId}`.execute(db())).rejects.toThrow(/append-only/);
  });
});
