/** §5 refund under concurrency: one refund per refundRequestId, and never more than was paid. */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { balanceOf, openPayment, press, REFUND_PATH, refundBody, topUp } from '../support/cashier.ts';
import { newRequestId } from '../support/payments.ts';

const C = 'C_REFUND_RACE';
let t: TestApp;

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '100000');
});
afterAll(async () => t.close());

async function paid() {
  const p = await openPayment(t.app, C);
  expect((await press(t.app, p.path, 'pay')).body).toContain('data-status="SUCCESS"');
  return p;
}

const refunded = async (paymentId: string) =>
  (await sql<{ total: bigint }>`select coalesce(sum(refund_minor), 0)::int8 as total from refunds where payment_id = ${paymentId}`.execute(t.database.db)).rows[0]!.total;

describe('refund concurrency', () => {
  it('30 concurrent identical refunds make one refund, all answering the same refundId', async () => {
    const before = await balanceOf(t.app, C);
    const p = await paid();
    const body = refundBody(p.paymentRequestId, newRequestId('RF'), '40', '400');
    const answers = await Promise.all(Array.from({ length: 30 }, () => signedPost(t.app, REFUND_PATH, body)));
    const ids = new Set(answers.map((a) => a.json().refundId));
    expect(answers.every((a) => a.json().result.resultCode === 'SUCCESS')).toBe(true);
    expect(ids.size).toBe(1);
    expect(await refunded(p.paymentId)).toBe(40n);
    expect(await balanceOf(t.app, C)).toBe(before - 1000n + 400n);
  }, 30_000);

  it('concurrent different refunds whose sum exceeds the payment never refund more than was paid', async () => {
    const before = await balanceOf(t.app, C);
    const p = await paid();
    const answers = await Promise.all(Array.from({ length: 12 }, () => signedPost(t.app, REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '15', '150'))));
    const ok = answers.filter((a) => a.json().result.resultCode === 'SUCCESS').length;
    const exceeded = answers.filter((a) => a.json().result.resultCode === 'REFUND_AMOUNT_EXCEED').length;
    expect(ok).toBe(6); // 6 x 15 = 90 <= 100 < 7 x 15
    expect(exceeded).toBe(6);
    expect(await refunded(p.paymentId)).toBe(90n);
    expect(await balanceOf(t.app, C)).toBe(before - 1000n + 900n);
  }, 30_000);
});
