/**
 * /metrics shows group commit's batch sizes per statement (mpp_db_batch_size): a pay accepted
 * alone is one batch of one on `pay_accept`, and its inquiryPayment one on `payment_by_request`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { cancelBody } from '../support/cashier.ts';
import { INQUIRY_PATH, PAY_PATH, seedPay } from '../support/payments.ts';

let t: TestApp;

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, 'batch-metrics-c', 'KRW');
});
afterAll(async () => {
  await t.close();
});

it('counts each batched statement and the calls it carried', async () => {
  const body = seedPay('batch-metrics-c');
  expect((await signedPost(t.app, PAY_PATH, body)).json().result.resultCode).toBe('PAYMENT_IN_PROCESS');
  const inquiry = await signedPost(t.app, INQUIRY_PATH, cancelBody(body.paymentRequestId));
  expect(inquiry.json().paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');

  const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toContain('# TYPE mpp_db_batch_size histogram');
  expect(metrics).toMatch(/^mpp_db_batch_size_count\{statement="pay_accept"\} 1$/m);
  expect(metrics).toMatch(/^mpp_db_batch_size_sum\{statement="pay_accept"\} 1$/m);
  expect(metrics).toMatch(/^mpp_db_batch_size_bucket\{le="1",statement="pay_accept"\} 1$/m);
  expect(metrics).toMatch(/^mpp_db_batch_size_count\{statement="payment_by_request"\} 1$/m);
});
