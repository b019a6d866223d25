/**
 * §8 "two initiates of the same code by the same user give one payment": 20 parallel initiates of
 * one order code by one user, on one instance and spread over two instances sharing the database
 * (separate pools on the real Postgres, where the race is real), against the simulator as Alipay+.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../src/domain/ports.ts';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import { issueOrderCode } from '../../src/simulator/order-codes.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { attachDatabase, createCustomer, realPostgres, type TestApp, testApp, type TestDatabase, testDatabase, testKv } from '../support/harness.ts';
import { initiate, startTestSimulator, userInitiatedPayCalls } from '../support/initiate.ts';

const N = 20;
const C = 'C_INIT_CONC';
let sim: RunningSimulator;
let database: TestDatabase;
let second: DatabaseHandle | undefined;
let kv: KeyValueStore;
let apps: TestApp[] = [];

beforeAll(async () => {
  sim = await startTestSimulator();
  database = await testDatabase({ poolSize: 10 });
  kv = testKv();
  second = realPostgres ? attachDatabase(database.schema) : undefined;
  const env = { ALIPAYPLUS_BASE_URL: sim.url };
  apps = await Promise.all([database, second ?? database].map((h) => testApp({ database: h, kv, env })));
  await createCustomer(apps[0]!.app, C, 'KRW');
}, 30_000);
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await second?.close();
  await database?.close();
  await kv?.close();
  await sim?.close();
});

async function paymentsOf(paymentRequestId: string) {
  return database.db.selectFrom('payments').select(['id', 'status']).where('payment_request_id', '=', paymentRequestId).execute();
}

describe(`${N} parallel initiates of one code by one user`, () => {
  it.runIf(realPostgres)('on one instance: one payment, the same answer to all', async () => {
    const code = issueOrderCode();
    const answers = await Promise.all(Array.from({ length: N }, () => initiate(apps[0]!.app, C, code)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    // Each initiate asks Alipay+ (idempotent on codeValue); one that times out on a busy machine is
    // retried with the same code, which may add calls but never a payment.
    expect(userInitiatedPayCalls(sim, code).length).toBeGreaterThanOrEqual(N);
    const rows = await paymentsOf(answers[0]!.body.paymentRequestId);
    expect(rows).toEqual([{ id: answers[0]!.body.paymentId, status: 'PROCESSING' }]);
  });

  it.runIf(realPostgres)('across two instances sharing the database: one payment, the same paymentId and link', async () => {
    const code = issueOrderCode({ scenario: 'surcharge' });
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => initiate(apps[i % 2]!.app, C, code)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.paymentId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.paymentUrl)).size).toBe(1);
    expect(await paymentsOf(answers[0]!.body.paymentRequestId)).toHaveLength(1);
  });

  it('on the embedded engine too (serialised by PGlite, the same rule): one payment', async () => {
    const code = issueOrderCode();
    const answers = await Promise.all(Array.from({ length: N }, () => initiate(apps[0]!.app, C, code)));
    expect(new Set(answers.map((a) => a.body.paymentId)).size).toBe(1);
    expect(await paymentsOf(answers[0]!.body.paymentRequestId)).toHaveLength(1);
  });
});
