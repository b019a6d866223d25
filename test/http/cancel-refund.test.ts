/** §5 cancelPayment and refund over the signed envelope, and the sweeper's notifyPayment row. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, FakeClock, responseSignatureValid, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { INQUIRY_PATH, newRequestId } from '../support/payments.ts';
import { balanceOf, CANCEL_PATH, cancelBody, openPayment, press, REFUND_PATH, refundBody, topUp } from '../support/cashier.ts';
import { cancelDeadline } from '../../src/domain/payments/cancel.ts';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';

let t: TestApp;
const clock = new FakeClock();
const C = 'C_AFTERPAY';

beforeAll(async () => {
  t = await testApp({ clock });
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '1000000');
});
afterAll(async () => t.close());

const post = (path: string, body: unknown) => signedPost(t.app, path, body, { requestTime: isoWithOffset(clock.now()) });
const resultOf = async (path: string, body: unknown) => (await post(path, body)).json();
const inquiry = (paymentRequestId: string) => resultOf(INQUIRY_PATH, cancelBody(paymentRequestId));
const outbox = (paymentId: string) => t.database.db.selectFrom('notify_outbox').selectAll().where('payment_id', '=', paymentId).execute();

async function paid() {
  const p = await openPayment(t.app, C);
  const res = await press(t.app, p.path, 'pay');
  expect(res.body).toContain('data-status="SUCCESS"');
  return p;
}

describe('cancel window (UTC+8)', () => {
  it('ends at 00:30 UTC+8 of the next day', () => {
    expect(cancelDeadline(new Date('2030-01-01T15:59:00Z')).toISOString()).toBe('2030-01-01T16:30:00.000Z'); // 23:59 +8 -> 00:30 next day
    expect(cancelDeadline(new Date('2030-01-01T16:01:00Z')).toISOString()).toBe('2030-01-02T16:30:00.000Z'); // 00:01 +8 -> next day's 00:30
  });
});

describe('cancelPayment', () => {
  it('closes a PROCESSING order: S, inquiry F ORDER_IS_CLOSED, one notification', async () => {
    const p = await openPayment(t.app, C);
    const res = await post(CANCEL_PATH, cancelBody(p.paymentRequestId));
    expect(await responseSignatureValid(CANCEL_PATH, res)).toBe(true);
    expect(res.json().result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(res.json().cancelTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await inquiry(p.paymentRequestId)).paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect(await outbox(p.paymentId)).toHaveLength(1);
  });

  it('reverses a SUCCESS payment in full, once, however often it is repeated', async () => {
    const before = await balanceOf(t.app, C);
    const p = await paid();
    expect(await balanceOf(t.app, C)).toBe(before - 1000n);
    for (let i = 0; i < 3; i++) expect((await resultOf(CANCEL_PATH, cancelBody(p.paymentRequestId))).result.resultStatus).toBe('S');
    expect(await balanceOf(t.app, C)).toBe(before);
    expect((await inquiry(p.paymentRequestId)).paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
    const history = await t.database.db.selectFrom('payment_status_history').select('to_status').where('payment_id', '=', p.paymentId).execute();
    expect(history.map((h) => h.to_status).sort()).toEqual(['CANCELLED', 'PROCESSING', 'SUCCESS']);
  });

  it('refuses after 00:30 UTC+8 of the next day with F CANCEL_WINDOW_EXCEED; an unknown order is F ORDER_NOT_EXIST', async () => {
    const p = await paid();
    clock.advance(2 * 86_400_000);
    try {
      expect((await resultOf(CANCEL_PATH, cancelBody(p.paymentRequestId))).result).toMatchObject({ resultCode: 'CANCEL_WINDOW_EXCEED', resultStatus: 'F' });
    } finally {
      clock.set(new Date());
    }
    expect((await resultOf(CANCEL_PATH, cancelBody(newRequestId()))).result).toMatchObject({ resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F' });
    expect((await resultOf(CANCEL_PATH, { pspId: '1022088000000000001' })).result.resultCode).toBe('PARAM_ILLEGAL');
  });
});

describe('refund', () => {
  it('refunds partially at the payment rate, twice, then refuses a refund over the paid total', async () => {
    const before = await balanceOf(t.app, C);
    const p = await paid();
    const r1 = await post(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '30', '300'));
    expect(await responseSignatureValid(REFUND_PATH, r1)).toBe(true);
    expect(r1.json().result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(r1.json().refundId).toMatch(/^\d{32}$/);
    expect(r1.json().refundTime).toMatch(/^\d{4}-/);
    expect((await resultOf(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '50', '500'))).result.resultCode).toBe('SUCCESS');
    expect((await resultOf(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '21', '210'))).result).toMatchObject({
      resultCode: 'REFUND_AMOUNT_EXCEED',
      resultStatus: 'F',
    });
    expect(await balanceOf(t.app, C)).toBe(before - 200n);
  });

  it('is idempotent on refundRequestId; changed amounts are F REPEAT_REQ_INCONSISTENT', async () => {
    const before = await balanceOf(t.app, C);
    const p = await paid();
    const id = newRequestId('RF');
    const first = await resultOf(REFUND_PATH, refundBody(p.paymentRequestId, id, '10', '100'));
    const again = await resultOf(REFUND_PATH, refundBody(p.paymentRequestId, id, '10', '100'));
    expect(again).toEqual(first);
    expect((await resultOf(REFUND_PATH, refundBody(p.paymentRequestId, id, '20', '200'))).result.resultCode).toBe('REPEAT_REQ_INCONSISTENT');
    expect(await balanceOf(t.app, C)).toBe(before - 900n);
  });

  it('checks refundFromAmount against the payment own rate: F PARAM_ILLEGAL naming it', async () => {
    const p = await paid();
    const res = await resultOf(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '10', '101'));
    expect(res.result.resultCode).toBe('PARAM_ILLEGAL');
    expect(res.result.resultMessage).toContain('refundFromAmount');
  });

  it('refuses a cancelled payment (ORDER_IS_CLOSED), an open or closed one (ORDER_STATUS_INVALID), an unknown one, and after 366 days', async () => {
    const cancelled = await paid();
    await post(CANCEL_PATH, cancelBody(cancelled.paymentRequestId));
    expect((await resultOf(REFUND_PATH, refundBody(cancelled.paymentRequestId, newRequestId('RF'), '10', '100'))).result.resultCode).toBe('ORDER_IS_CLOSED');
    const open = await openPayment(t.app, C);
    expect((await resultOf(REFUND_PATH, refundBody(open.paymentRequestId, newRequestId('RF'), '10', '100'))).result.resultCode).toBe('ORDER_STATUS_INVALID');
    expect((await resultOf(REFUND_PATH, refundBody(newRequestId(), newRequestId('RF'), '10', '100'))).result.resultCode).toBe('ORDER_NOT_EXIST');
    const old = await paid();
    clock.advance(367 * 86_400_000);
    try {
      expect((await resultOf(REFUND_PATH, refundBody(old.paymentRequestId, newRequestId('RF'), '10', '100'))).result.resultCode).toBe('REFUND_WINDOW_EXCEED');
    } finally {
      clock.set(new Date());
    }
  });
});

describe('notifyPayment outbox on every final change', () => {
  it('the sweeper closing an order queues one F ORDER_IS_CLOSED notification', async () => {
    const p = await openPayment(t.app, C, { paymentNotifyUrl: 'https://aplus.test/notify' });
    const sweeper = t.jobs.find((j) => j.name === 'expiry-sweeper')!;
    await sweeper.runOnce(new Date(Date.now() + 181_000));
    const rows = await outbox(p.paymentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.url).toBe('https://aplus.test/notify');
    const body = JSON.parse(rows[0]!.body);
    expect(body.paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect(body.paymentTime).toBeUndefined();
    await sweeper.runOnce(new Date(Date.now() + 200_000));
    expect(await outbox(p.paymentId)).toHaveLength(1);
  });
});
