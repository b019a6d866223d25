/** GET /app/v1/payments: the app finds a payment it has no id for (§9 a scanned payment code), newest first, page by page. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topUp } from '../support/cashier.ts';
import { appJwt, createCustomer, FakeClock, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { PAY_PATH, seedPay } from '../support/payments.ts';
import { codePay } from '../support/sync-pay.ts';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';

let t: TestApp;
const clock = new FakeClock();
const A = 'C_LIST_A';
const B = 'C_LIST_B';

beforeAll(async () => {
  t = await testApp({ clock });
  await createCustomer(t.app, A, 'KRW');
  await createCustomer(t.app, B, 'KRW');
  await topUp(t.app, A, '100000');
});
afterAll(async () => t.close());

const list = async (customerId: string, query = '') =>
  t.app.inject({ method: 'GET', url: `/app/v1/payments${query}`, headers: { authorization: `Bearer ${await appJwt(customerId, { now: clock.now() })}` } });
const pay = (body: unknown) => signedPost(t.app, PAY_PATH, body, { requestTime: isoWithOffset(clock.now()) });

describe('GET /app/v1/payments', () => {
  it("lists the customer's payments newest first, pages with nextCursor, and shows nobody else's", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      const body = i % 2 === 0 ? codePay(A) : seedPay(A);
      ids.push((await pay(body)).json().paymentId);
    }
    await pay(codePay(B));
    const first = (await list(A, '?limit=2')).json();
    expect(first.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual([ids[4], ids[3]]);
    expect(first.payments[0].status).toBe('SUCCESS');
    expect(first.payments[1].paymentResult.resultCode).toBe('PAYMENT_IN_PROCESS');
    const second = (await list(A, `?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual([ids[2], ids[1]]);
    const third = (await list(A, `?limit=2&cursor=${second.nextCursor}`)).json();
    expect(third.payments.map((p: { paymentId: string }) => p.paymentId)).toEqual([ids[0]]);
    expect(third.nextCursor).toBeUndefined();
    const all = (await list(A)).json().payments.map((p: { customerId?: string; paymentId: string }) => p.paymentId);
    expect(all).toHaveLength(5);
  });

  it('refuses a bad limit or a cursor it did not give with 400 PARAM_ILLEGAL', async () => {
    expect((await list(A, '?limit=0')).statusCode).toBe(400);
    expect((await list(A, '?limit=101')).statusCode).toBe(400);
    const bad = await list(A, '?cursor=not-a-cursor');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().result.resultCode).toBe('PARAM_ILLEGAL');
  });
});
