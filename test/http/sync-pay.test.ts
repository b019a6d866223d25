/** §9 payment codes and §10 Auto Debit: pay answers S/F/U at once, debits in the same transaction. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBooks, kindTotal } from '../support/ledger.ts';
import { balanceOf, topUp } from '../support/cashier.ts';
import { createCustomer, FakeClock, responseSignatureValid, signedPost, type TestApp, testApp, TEST_ACQUIRER_ID, TEST_PSP_ID } from '../support/harness.ts';
import { INQUIRY_PATH, newRequestId, PAY_PATH, seedPay, withField } from '../support/payments.ts';
import { agreementTokenFor, cancelToken, tokensFor } from '../support/tokens.ts';
import { codePay, agreementPay } from '../support/sync-pay.ts';

const CANCEL_PATH = '/alipayplus/v1/payments/cancelPayment';
const REFUND_PATH = '/alipayplus/v1/payments/refund';

let t: TestApp;
const clock = new FakeClock();
const A = 'C_SYNC_A';
const B = 'C_SYNC_B';
const POOR = 'C_SYNC_POOR';
const FROZEN = 'C_SYNC_FROZEN';

beforeAll(async () => {
  t = await testApp({ clock, env: { SINGLE_PAYMENT_LIMITS: 'KRW:5000000' } });
  for (const id of [A, B, POOR]) await createCustomer(t.app, id, 'KRW');
  await createCustomer(t.app, FROZEN, 'KRW', 'FROZEN');
  await topUp(t.app, A, '100000');
  await topUp(t.app, B, '100000');
  await topUp(t.app, POOR, '500');
});
afterAll(async () => t.close());

const pay = (body: unknown) => signedPost(t.app, PAY_PATH, body);
const inquire = (paymentRequestId: string) => signedPost(t.app, INQUIRY_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId });
const cancel = (paymentRequestId: string) => signedPost(t.app, CANCEL_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId });

describe('§9 pay with a payment code', () => {
  it('debits at once: S SUCCESS with paymentId and paymentTime, no paymentUrl, signed', async () => {
    const before = await balanceOf(t.app, A);
    const res = await pay(codePay(A));
    expect(await responseSignatureValid(PAY_PATH, res)).toBe(true);
    const body = res.json();
    expect(body.result).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' });
    expect(body.paymentId).toMatch(/^[0-9]{32}$/);
    expect(body.paymentTime).toMatch(/[+-]\d{2}:\d{2}$/);
    expect(body.paymentUrl).toBeUndefined();
    expect(body.customerId).toBe(A);
    expect(await balanceOf(t.app, A)).toBe(before - 1000n);
    // The whole audit: the creation (from the payments row, as for every order) and the debit, once each.
    const log = await t.database.db.selectFrom('payment_status_log').select(['to_status', 'reason']).where('payment_id', '=', body.paymentId).execute();
    expect(log.map((h) => `${h.to_status} ${h.reason}`).sort()).toEqual(['PROCESSING ACCEPTED', 'SUCCESS SYNCHRONOUS_DEBIT']);
    const stored = await t.database.db.selectFrom('payment_status_history').select('to_status').where('payment_id', '=', body.paymentId).execute();
    expect(stored.map((h) => h.to_status)).toEqual(['SUCCESS']);
    const outbox = await t.database.db.selectFrom('notify_outbox').select(['body']).where('payment_id', '=', body.paymentId).executeTakeFirstOrThrow();
    expect(JSON.parse(outbox.body).paymentResult.resultCode).toBe('SUCCESS');
  });

  it('a retry returns the first outcome and debits once; another payment method under the key is REPEAT_REQ_INCONSISTENT', async () => {
    const body = codePay(A);
    const first = (await pay(body)).json();
    const after = await balanceOf(t.app, A);
    const again = (await pay(body)).json();
    expect(again.result.resultCode).toBe('SUCCESS');
    expect(again.paymentId).toBe(first.paymentId);
    expect(again.paymentTime).toBe(first.paymentTime);
    expect(await balanceOf(t.app, A)).toBe(after);
    const other = await pay(withField(body, 'paymentMethod.paymentMethodId', 'ANOTHER-CODE'));
    expect(other.json().result).toMatchObject({ resultCode: 'REPEAT_REQ_INCONSISTENT', resultStatus: 'F' });
  });

  it('not enough money is a final F USER_BALANCE_NOT_ENOUGH, recorded: the retry and the inquiry say the same, nothing moved', async () => {
    const body = codePay(POOR);
    const res = await pay(body);
    expect(res.json().result).toMatchObject({ resultCode: 'USER_BALANCE_NOT_ENOUGH', resultStatus: 'F' });
    expect(res.json().paymentUrl).toBeUndefined();
    expect(await balanceOf(t.app, POOR)).toBe(500n);
    await topUp(t.app, POOR, '5000');
    expect((await pay(body)).json().result.resultCode).toBe('USER_BALANCE_NOT_ENOUGH');
    const inquiry = (await inquire(body.paymentRequestId)).json();
    expect(inquiry.paymentResult).toMatchObject({ resultCode: 'USER_BALANCE_NOT_ENOUGH', resultStatus: 'F' });
    expect(await balanceOf(t.app, POOR)).toBe(5500n);
  });

  it('refuses a frozen user, an unknown user and an amount over the limit with their F, debiting nothing', async () => {
    expect((await pay(codePay(FROZEN))).json().result.resultCode).toBe('USER_STATUS_ABNORMAL');
    expect((await pay(codePay('C_SYNC_NOBODY'))).json().result.resultCode).toBe('USER_NOT_EXIST');
    const big = withField(withField(withField(codePay(A), 'payToAmount.value', '6000000'), 'paymentAmount.value', '600000'), 'order.orderAmount.value', '600000');
    expect((await pay(big)).json().result.resultCode).toBe('PAYMENT_AMOUNT_EXCEED_LIMIT');
  });

  it('inquiry reports S SUCCESS; cancelPayment reverses it in full and inquiry then says F ORDER_IS_CLOSED; a retry of the pay agrees', async () => {
    const body = codePay(B);
    const before = await balanceOf(t.app, B);
    const paid = (await pay(body)).json();
    expect((await inquire(body.paymentRequestId)).json().paymentResult.resultCode).toBe('SUCCESS');
    expect((await cancel(body.paymentRequestId)).json().result.resultStatus).toBe('S');
    expect(await balanceOf(t.app, B)).toBe(before);
    expect((await inquire(body.paymentRequestId)).json().paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    const retry = (await pay(body)).json();
    expect(retry.paymentId).toBe(paid.paymentId);
    expect(retry.result.resultCode).toBe('ORDER_IS_CLOSED');
    expect(await balanceOf(t.app, B)).toBe(before);
  });

  it('refunds a payment-code payment like any other', async () => {
    const body = codePay(B);
    const before = await balanceOf(t.app, B);
    const paid = (await pay(body)).json();
    const res = await signedPost(t.app, REFUND_PATH, {
      pspId: TEST_PSP_ID,
      acquirerId: TEST_ACQUIRER_ID,
      refundRequestId: newRequestId('RF'),
      paymentRequestId: body.paymentRequestId,
      paymentId: paid.paymentId,
      refundAmount: { currency: 'JPY', value: '40' },
      refundFromAmount: { currency: 'KRW', value: '400' },
      refundQuote: body.paymentQuote,
    });
    expect(res.json().result.resultStatus).toBe('S');
    expect(await balanceOf(t.app, B)).toBe(before - 600n);
  });

  it('keeps the books balanced: what left the wallets sits in SETTLEMENT', async () => {
    const books = await readBooks(t.database.db);
    expect(kindTotal(books, 'KRW', 'SETTLEMENT') + kindTotal(books, 'KRW', 'SURCHARGE') + kindTotal(books, 'KRW', 'CUSTOMER_WALLET')).toBe(
      -kindTotal(books, 'KRW', 'FUNDING'),
    );
  });

  it('the cashier pay is unchanged: OrderCode still gets U with a paymentUrl', async () => {
    const res = (await pay(withField(seedPay(A), 'paymentFactor.inStorePaymentScenario', 'OrderCode'))).json();
    expect(res.result.resultCode).toBe('PAYMENT_IN_PROCESS');
    expect(res.paymentUrl).toBeDefined();
  });
});

describe('§10 Auto Debit pay', () => {
  it('charges a bound agreement at once with its AGREEMENT_PAY access token', async () => {
    const token = await agreementTokenFor(t, A);
    const before = await balanceOf(t.app, A);
    const res = (await pay(agreementPay(A, token))).json();
    expect(res.result.resultCode).toBe('SUCCESS');
    expect(res.paymentUrl).toBeUndefined();
    expect(await balanceOf(t.app, A)).toBe(before - 1000n);
  });

  it('refuses a token of another scope, another customer, an unknown or a revoked one with F INVALID_TOKEN', async () => {
    const plain = (await tokensFor(t, A)).accessToken;
    expect((await pay(agreementPay(A, plain))).json().result).toMatchObject({ resultCode: 'INVALID_TOKEN', resultStatus: 'F' });
    const bs = await agreementTokenFor(t, B);
    expect((await pay(agreementPay(A, bs))).json().result.resultCode).toBe('INVALID_TOKEN');
    expect((await pay(agreementPay(A, 'NOT-A-TOKEN'))).json().result.resultCode).toBe('INVALID_TOKEN');
    const revoked = await agreementTokenFor(t, A);
    await cancelToken(t, revoked);
    const before = await balanceOf(t.app, A);
    expect((await pay(agreementPay(A, revoked))).json().result.resultCode).toBe('INVALID_TOKEN');
    expect(await balanceOf(t.app, A)).toBe(before);
  });

  it('refuses an expired access token with F EXPIRED_ACCESS_TOKEN', async () => {
    const token = await agreementTokenFor(t, A);
    clock.advance(60 * 60 * 1000 * 24);
    try {
      const res = await signedPost(t.app, PAY_PATH, agreementPay(A, token), { requestTime: new Date(clock.now()).toISOString() });
      expect(res.json().result).toMatchObject({ resultCode: 'EXPIRED_ACCESS_TOKEN', resultStatus: 'F' });
    } finally {
      clock.set(new Date());
    }
  });

  it('a retry after the token was revoked still returns the first S, and debits once', async () => {
    const token = await agreementTokenFor(t, B);
    const body = agreementPay(B, token);
    const first = (await pay(body)).json();
    const after = await balanceOf(t.app, B);
    await cancelToken(t, token);
    const again = (await pay(body)).json();
    expect(again.result.resultCode).toBe('SUCCESS');
    expect(again.paymentId).toBe(first.paymentId);
    expect(await balanceOf(t.app, B)).toBe(after);
  });
});
