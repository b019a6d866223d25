/**
 * §5 revision 2, cancel before pay: Alipay+ cancels a pay that timed out, and the pay may still
 * arrive after the cancel. An unknown paymentRequestId is answered S and the cancel recorded; the
 * pay that arrives later is F ORDER_IS_CLOSED and creates nothing, debits nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { INQUIRY_PATH, newRequestId, PAY_PATH, seedPay } from '../support/payments.ts';
import { balanceOf, CANCEL_PATH, cancelBody, topUp } from '../support/cashier.ts';

let t: TestApp;
const C = 'C_CANCEL_FIRST';

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '100000');
});
afterAll(async () => t.close());

const json = async (path: string, body: unknown) => (await signedPost(t.app, path, body)).json();

describe('cancelPayment before pay (§5 revision 2)', () => {
  it('answers S for an unknown paymentRequestId, records it, and the later pay is F ORDER_IS_CLOSED with no order', async () => {
    const paymentRequestId = newRequestId();
    const cancelled = await json(CANCEL_PATH, cancelBody(paymentRequestId));
    expect(cancelled.result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    const claim = await t.database.db.selectFrom('pay_requests').selectAll().where('payment_request_id', '=', paymentRequestId).execute();
    expect(claim).toHaveLength(1);

    const before = await balanceOf(t.app, C);
    const pay = await json(PAY_PATH, seedPay(C, paymentRequestId));
    expect(pay.result).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect(pay.paymentId).toBeUndefined();
    expect(pay.paymentUrl).toBeUndefined();
    const orders = await t.database.db.selectFrom('payments').select('id').where('payment_request_id', '=', paymentRequestId).execute();
    expect(orders).toHaveLength(0);
    expect(await balanceOf(t.app, C)).toBe(before);

    // the same answers again: cancel is idempotent, the pay replays its F, inquiry agrees
    expect((await json(CANCEL_PATH, cancelBody(paymentRequestId))).result.resultStatus).toBe('S');
    expect((await json(PAY_PATH, seedPay(C, paymentRequestId))).result.resultCode).toBe('ORDER_IS_CLOSED');
    expect((await json(INQUIRY_PATH, cancelBody(paymentRequestId))).paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
  });

  it('still closes an order that exists (the pay came first)', async () => {
    const paymentRequestId = newRequestId();
    expect((await json(PAY_PATH, seedPay(C, paymentRequestId))).result.resultCode).toBe('PAYMENT_IN_PROCESS');
    expect((await json(CANCEL_PATH, cancelBody(paymentRequestId))).result.resultStatus).toBe('S');
    expect((await json(INQUIRY_PATH, cancelBody(paymentRequestId))).paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
  });
});
