/**
 * §4 "N concurrent identical requests create exactly one order", on one instance and on three
 * instances sharing one database and one Redis (separate pools on the real Postgres; on PGlite
 * the instances share its one handle, which serialises them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import type { KeyValueStore } from '../../src/domain/ports.ts';
import { attachDatabase, createCustomer, realPostgres, signedPost, type TestApp, testApp, type TestDatabase, testDatabase, testKv } from '../support/harness.ts';
import { PAY_PATH, seedPay, withField } from '../support/payments.ts';

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

async function historyCount(paymentId: string) {
  return (await database.db.selectFrom('payment_status_history').select('to_status').where('payment_id', '=', paymentId).execute()).length;
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
