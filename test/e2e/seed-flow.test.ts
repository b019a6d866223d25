/**
 * The seed flow end to end (issue 5 "done means"): pay -> cashier Pay -> wallet debited -> a
 * signed notifyPayment with S SUCCESS reaches a local receiver that fails twice first -> inquiry
 * agrees -> two partial refunds -> a third over the paid total is refused -> the books reconcile.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NOTIFY_PAYMENT_PATH } from '../../src/alipayplus/client.ts';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { balanceOf, openPayment, press, REFUND_PATH, refundBody, topUp } from '../support/cashier.ts';
import { startFakeAlipayPlus, type FakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { kindTotal, readBooks } from '../support/ledger.ts';
import { INQUIRY_PATH, newRequestId } from '../support/payments.ts';
import { cancelBody } from '../support/cashier.ts';

const C = 'C_SEED_FLOW';
let t: TestApp;
let aplus: FakeAlipayPlus;

beforeAll(async () => {
  aplus = await startFakeAlipayPlus({ failTimes: 2 });
  t = await testApp({ env: { ALIPAYPLUS_BASE_URL: aplus.url }, extra: { codeRulesSource: null } });
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '10000');
}, 30_000);
afterAll(async () => {
  await t?.close();
  await aplus?.close();
});

it('pay, cashier Pay, notify after two failures, inquiry, two partial refunds, a refused third, reconciled books', async () => {
  // 1. Alipay+ pays; the user presses Pay on the cashier.
  const p = await openPayment(t.app, C);
  const paidPage = await press(t.app, p.path, 'pay');
  expect(paidPage.body).toContain('data-status="SUCCESS"');
  expect(await balanceOf(t.app, C)).toBe(9000n);

  // 2. The dispatcher delivers notifyPayment: two failures, then S (time advanced past each backoff).
  const dispatcher = t.jobs.find((j) => j.name.includes('notify'))!;
  let now = Date.now();
  for (let i = 0; i < 6 && aplus.hitsFor(p.paymentId).length < 3; i++) {
    await dispatcher.runOnce(new Date(now));
    now += 3_600_000;
  }
  const hits = aplus.hitsFor(p.paymentId);
  expect(hits).toHaveLength(3);
  expect(hits.every((h) => h.path === NOTIFY_PAYMENT_PATH && h.signatureValid)).toBe(true);
  const notified = hits[2]!.body as Record<string, any>;
  expect(notified.paymentResult).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
  await dispatcher.runOnce(new Date(now + 86_400_000));
  expect(aplus.hitsFor(p.paymentId)).toHaveLength(3); // delivered: never sent again
  const row = await t.database.db.selectFrom('notify_outbox').select(['delivered_at']).where('payment_id', '=', p.paymentId).executeTakeFirstOrThrow();
  expect(row.delivered_at).not.toBeNull();

  // 3. Inquiry agrees with the notification.
  const inquiry = (await signedPost(t.app, INQUIRY_PATH, cancelBody(p.paymentRequestId))).json();
  expect(inquiry.paymentResult).toEqual(notified.paymentResult);
  expect(inquiry.paymentTime).toBe(notified.paymentTime);
  expect(inquiry.payToAmount).toEqual(notified.payToAmount);

  // 4. Two partial refunds at the payment's rate (JPY/KRW 10), then a third over the paid total.
  const refund = async (jpy: string, krw: string) => (await signedPost(t.app, REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), jpy, krw))).json();
  expect((await refund('30', '300')).result.resultCode).toBe('SUCCESS');
  expect((await refund('50', '500')).result.resultCode).toBe('SUCCESS');
  expect((await refund('30', '300')).result).toMatchObject({ resultCode: 'REFUND_AMOUNT_EXCEED', resultStatus: 'F' });
  expect(await balanceOf(t.app, C)).toBe(9800n);

  // 5. The books reconcile: wallets + settlement + surcharge = top-ups, every transfer balanced.
  const books = await readBooks(t.database.db);
  expect(books.unbalanced).toEqual([]);
  expect(books.drifted).toEqual([]);
  const total = kindTotal(books, 'KRW', 'CUSTOMER_WALLET') + kindTotal(books, 'KRW', 'SETTLEMENT') + kindTotal(books, 'KRW', 'SURCHARGE');
  expect(total).toBe(books.topUps.get('KRW'));
  expect(kindTotal(books, 'KRW', 'SETTLEMENT')).toBe(200n);
}, 30_000);
