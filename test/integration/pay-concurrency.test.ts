/**
 * §4 "N concurrent identical requests create exactly one order", on one instance and on three
 * instances sharing one database and one Redis (separate pools on the real Postgres; on PGlite
 * the instances share its one handle, which serialises them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import type { KeyValueStore } from '../../src/domain/ports.ts';
import { attachDatabase, createCustomer, realPostgres, signedPost, type TestApp, testApp, type TestDatabase, testDatabase, testKv } from '../support/harness.ts';
import { INQUIRY_PATH, PAY_PATH, seedPay, withField } from '../support/payments.ts';
import { CANCEL_PATH, cancelBody } from '../support/cashier.ts';

const N = 100;
const CUSTOMER = 'C_CONC_1';

let database: TestDatabase;
let attached: DatabaseHandle[] = [];
let kv: KeyValueStore;
let apps: TestApp[] = [];

beforeAll(async () => {
  database = await testDatabase({ poolSize: 10 });
  kv = testKv();
  attached = realPostgres ? [attachDatabase(database.schema), attachDatabase(database.schema)] : [];
  const handles: DatabaseHandle[] = realPostgres ? [database, ...attached] : [database, database, database];
  apps = await Promise.all(handles.map((h) => testApp({ database: h, kv })));
  await createCustomer(apps[0]!.app, CUSTOMER, 'KRW');
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(attached.map((h) => h.close()));
  await database.close();
  await kv.close();
});

async function ordersFor(paymentRequestId: string) {
  return database.db.selectFrom('payments').selectAll().where('payment_request_id', '=', paymentRequestId).execute();
}

/** Entries in the order's status log: its creation (from the payments row) and any change. */
async function historyCount(paymentId: string) {
  return (await database.db.selectFrom('payment_status_log').select('to_status').where('payment_id', '=', paymentId).execute()).length;
}

describe('concurrent identical pay requests', () => {
  it(`creates exactly one order for ${N} concurrent identical requests on one instance, and gives ${N} identical answers`, async () => {
    const body = seedPay(CUSTOMER);
    const responses = await Promise.all(Array.from({ length: N }, () => signedPost(apps[0]!.app, PAY_PATH, body)));
    const answers = responses.map((r) => r.json());
    expect(answers[0].result.resultCode).toBe('PAYMENT_IN_PROCESS');
    for (const a of answers) expect(a).toEqual(answers[0]);
    const orders = await ordersFor(body.paymentRequestId);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.id).toBe(answers[0].paymentId);
    expect(await historyCount(orders[0]!.id)).toBe(1);
  });

  it(`creates exactly one order for ${N} concurrent identical requests spread over three instances`, async () => {
    const body = seedPay(CUSTOMER);
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => signedPost(apps[i % apps.length]!.app, PAY_PATH, body)));
    const answers = responses.map((r) => r.json());
    expect(new Set(answers.map((a) => a.paymentId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.paymentUrl)).size).toBe(1);
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0].result.resultCode).toBe('PAYMENT_IN_PROCESS');
    expect(await ordersFor(body.paymentRequestId)).toHaveLength(1);
  });

  it('lets exactly one of concurrent requests with the same id and different amounts win; the rest are REPEAT_REQ_INCONSISTENT', async () => {
    const base = seedPay(CUSTOMER);
    const bodies = Array.from({ length: 30 }, (_, i) => withField(withField(base, 'paymentAmount.value', String(100 + i)), 'payToAmount.value', String((100 + i) * 10)));
    const responses = await Promise.all(bodies.map((b, i) => signedPost(apps[i % apps.length]!.app, PAY_PATH, b)));
    const codes = responses.map((r) => r.json().result.resultCode as string);
    expect(codes.filter((c) => c === 'PAYMENT_IN_PROCESS')).toHaveLength(1);
    expect(codes.filter((c) => c === 'REPEAT_REQ_INCONSISTENT')).toHaveLength(29);
    const orders = await ordersFor(base.paymentRequestId);
    expect(orders).toHaveLength(1);
    const winner = responses.findIndex((r) => r.json().result.resultCode === 'PAYMENT_IN_PROCESS');
    expect(orders[0]!.payment_minor).toBe(BigInt(100 + winner));
  });

  it('records one refusal for concurrent identical requests of an unknown customer, all answering the same F', async () => {
    const body = seedPay('C_CONC_NOBODY');
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => signedPost(apps[i % apps.length]!.app, PAY_PATH, body)));
    const answers = responses.map((r) => r.json());
    expect(answers[0].result).toMatchObject({ resultCode: 'USER_NOT_EXIST', resultStatus: 'F' });
    for (const a of answers) expect(a).toEqual(answers[0]);
    const claims = await database.db.selectFrom('pay_requests').selectAll().where('payment_request_id', '=', body.paymentRequestId).execute();
    expect(claims).toHaveLength(1);
    expect(claims[0]!.payment_id).toBeNull();
    expect(await ordersFor(body.paymentRequestId)).toHaveLength(0);
  });

  it('keeps many different requests apart under concurrency: one order each', async () => {
    const bodies = Array.from({ length: 60 }, () => seedPay(CUSTOMER));
    const responses = await Promise.all(
      bodies.flatMap((b, i) => [signedPost(apps[(i % 3) % apps.length]!.app, PAY_PATH, b), signedPost(apps[(i + 1) % apps.length]!.app, PAY_PATH, b)]),
    );
    for (let i = 0; i < bodies.length; i++) expect(responses[2 * i]!.json()).toEqual(responses[2 * i + 1]!.json());
    const ids = new Set(responses.map((r) => r.json().paymentId as string));
    expect(ids.size).toBe(bodies.length);
  });
});

describe('cancelPayment racing pay on the same paymentRequestId (§5 revision 2, cancel before pay)', () => {
  it.runIf(realPostgres)('30 races over three instances: both always S/answered, never a payable order left, at most one order', async () => {
    for (let round = 0; round < 30; round++) {
      const body = seedPay(CUSTOMER);
      const [payApp, cancelApp] = [apps[round % 3]!, apps[(round + 1) % 3]!];
      const [pay, cancel] = await Promise.all([signedPost(payApp.app, PAY_PATH, body), signedPost(cancelApp.app, CANCEL_PATH, cancelBody(body.paymentRequestId))]);
      expect(cancel.json().result.resultStatus).toBe('S');
      const payResult = pay.json().result;
      const orders = await ordersFor(body.paymentRequestId);
      expect(orders.length).toBeLessThanOrEqual(1);
      if (payResult.resultCode === 'ORDER_IS_CLOSED') expect(orders).toHaveLength(0);
      else {
        // the pay won the key: its order exists and the cancel closed it
        expect(payResult.resultCode).toBe('PAYMENT_IN_PROCESS');
        expect(orders.map((o) => o.status)).toEqual(['CLOSED']);
      }
      const inquiry = (await signedPost(apps[(round + 2) % 3]!.app, INQUIRY_PATH, cancelBody(body.paymentRequestId))).json();
      expect(inquiry.paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
      // a late retry of the pay never reopens anything
      const retry = (await signedPost(payApp.app, PAY_PATH, body)).json();
      expect(retry.result.resultCode).toBe('ORDER_IS_CLOSED');
    }
  });
});
