/**
 * Issue 19 item 4: synchronous pays (§9 payment codes) exactly once under failure. A flood of
 * payment-code pays, retries of them, inquiries and top-ups runs against a real service process
 * over its own Postgres and Redis; the process is SIGKILLed mid-flood and a second one started.
 * Then, for every paymentRequestId ever sent, reconcile the answers, the payments, the ledger and
 * the wallets:
 *   - the invariants of every fault test (no lost or duplicated payment, no double debit, the
 *     books balance, every acknowledged top-up there once);
 *   - an S SUCCESS answer has its SUCCESS payment and exactly one debit of payToAmount; a
 *     F USER_BALANCE_NOT_ENOUGH has no payment and no debit; what the kill cut off is either
 *     wholly there (order, debit, notify row) or wholly absent, and inquiry says which;
 *   - a retry of every request, after the crash, returns what inquiry reports (the first
 *     outcome), and moves no money;
 *   - cancelling every paid one reverses it in full: the wallets then hold exactly the top-ups.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/persistence/database.ts';
import { migrateToLatest } from '../../src/persistence/migrate.ts';
import { type FakeAlipayPlus, startFakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { TEST_ACQUIRER_ID, TEST_OPS_TOKEN, TEST_PSP_ID } from '../support/harness.ts';
import { kindTotal, readBooks } from '../support/ledger.ts';
import { checkInvariants, NO_VIOLATIONS, outboxState } from './invariants.ts';
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from './own-services.ts';
import { kill9, sleep, startInstance, waitFor } from './service-process.ts';
import { signedFetch, summarize, Traffic } from './traffic.ts';

const PAYMENT_CODE = { paymentFactor: { isInStorePayment: 'true', isCashierPayment: 'false', inStorePaymentScenario: 'PaymentCode' } };

describe('synchronous pays when the service process is SIGKILLed mid-flood', () => {
  let pg: OwnPostgres;
  let redis: OwnRedis;
  let database: DatabaseHandle;
  let receiver: FakeAlipayPlus;
  const children: ChildProcess[] = [];
  const customers = ['SY_A', 'SY_B', 'SY_C'];

  beforeAll(async () => {
    [pg, redis, receiver] = await Promise.all([startOwnPostgres(), startOwnRedis(), startFakeAlipayPlus()]);
    database = createDatabase({ url: pg.url, poolSize: 4 });
    await migrateToLatest(database.db);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await database?.close();
    await receiver?.close();
    await redis?.stop();
    pg?.stop('immediate');
  });

  const start = () => startInstance({ postgresUrl: pg.url, redisUrl: redis.url, alipayPlusUrl: receiver.url, children });
  const ops = (base: string, path: string, body: unknown, key?: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_OPS_TOKEN}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
    });
  const ids = { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID };

  it('pays each request at most once, answers the truth after the crash, and cancel gives everything back', async () => {
    const first = await start();
    for (const c of customers) {
      expect((await ops(first.url, '/ops/v1/customers', { customerId: c, currency: 'KRW', status: 'NORMAL' })).status).toBe(201);
      // Enough for some pays only: the flood meets USER_BALANCE_NOT_ENOUGH too (top-ups add more).
      expect(
        (await ops(first.url, `/ops/v1/customers/${c}/topUps`, { amount: { currency: 'KRW', value: '10000' }, reason: 'chaos seed' }, `seed-${c}`)).status,
      ).toBeLessThan(300);
    }

    let baseUrl = first.url;
    const traffic = new Traffic({ baseUrl: () => baseUrl, customers, concurrency: 4, pauseMs: 5, payExtras: () => PAYMENT_CODE });
    traffic.start();
    await waitFor('paid payments', async () => (traffic.answers.filter((a) => a.resultCode === 'SUCCESS' && a.kind === 'pay').length >= 20 ? true : undefined), 30_000);
    traffic.phase = 'killed';
    const killedAt = Date.now();
    await kill9(first);
    const second = await start();
    baseUrl = second.url;
    traffic.phase = 'after';
    await sleep(1500);
    await traffic.stop();

    const payments = await database.db.selectFrom('payments').select(['id', 'payment_request_id', 'status', 'pay_to_minor', 'customer_id']).execute();
    const byKey = new Map(payments.map((p) => [p.payment_request_id, p]));
    const debits = await database.db.selectFrom('ledger_transfers').select(['payment_id', 'kind']).where('kind', '=', 'PAYMENT').execute();
    const debitCount = new Map<string, number>();
    for (const d of debits) debitCount.set(d.payment_id!, (debitCount.get(d.payment_id!) ?? 0) + 1);
    console.info('sync pay kill:', summarize(traffic.answers), { payments: payments.length, debits: debits.length });

    expect(await checkInvariants(database.db, traffic.answers)).toEqual(NO_VIOLATIONS);
    const problems: string[] = [];
    for (const a of traffic.answers.filter((x) => (x.kind === 'pay' || x.kind === 'replay') && x.httpStatus === 200)) {
      const p = byKey.get(a.key);
      if (!a.signed) problems.push(`${a.key}: answer not signed`);
      if (a.resultStatus === 'U') problems.push(`${a.key}: answered U ${a.resultCode} while alive`);
      if (a.resultCode === 'SUCCESS' && (p?.status !== 'SUCCESS' || p.id !== a.paymentId)) problems.push(`${a.key}: S but stored ${p?.status}`);
      if (a.resultCode === 'USER_BALANCE_NOT_ENOUGH' && p) problems.push(`${a.key}: refused for balance but a payment exists`);
    }
    for (const p of payments) {
      if (p.status !== 'SUCCESS') problems.push(`${p.payment_request_id}: ${p.status}, a synchronous pay is SUCCESS or absent`);
      if (debitCount.get(p.id) !== 1) problems.push(`${p.payment_request_id}: ${debitCount.get(p.id) ?? 0} debits`);
    }
    expect(problems).toEqual([]);
    expect((await outboxState(database.db)).missing).toEqual([]);
    expect(traffic.answers.filter((a) => a.httpStatus === 0 && (a.endedAt < killedAt || a.phase === 'after'))).toEqual([]);

    // Every request ever sent: inquiry tells the truth, a retry returns it and moves no money.
    const booksBefore = await readBooks(database.db);
    for (const key of traffic.payRequestIds) {
      const inquiry = await signedFetch(second.url, '/alipayplus/v1/payments/inquiryPayment', { ...ids, paymentRequestId: key });
      const r = inquiry.body.result as { resultCode: string };
      const pr = inquiry.body.paymentResult as { resultCode: string } | undefined;
      const p = byKey.get(key);
      if (p) expect(pr?.resultCode, key).toBe('SUCCESS');
      else expect(r.resultCode === 'ORDER_NOT_EXIST' || pr?.resultCode === 'USER_BALANCE_NOT_ENOUGH', `${key}: ${JSON.stringify(inquiry.body)}`).toBe(true);
      if (!p && r.resultCode === 'ORDER_NOT_EXIST') continue; // never committed: a retry would simply pay it now
      const retry = traffic.answers.find((a) => a.key === key && a.httpStatus === 200);
      if (retry) expect(retry.resultCode, key).toBe(p ? 'SUCCESS' : 'USER_BALANCE_NOT_ENOUGH');
    }
    const replays = await Promise.all(traffic.payRequestIds.filter((k) => byKey.has(k)).map((k) => traffic.pay(k).then((a) => ({ k, a }))));
    for (const { k, a } of replays) expect([a.resultCode, a.paymentId], k).toEqual(['SUCCESS', byKey.get(k)!.id]);
    const booksAfterRetries = await readBooks(database.db);
    expect(kindTotal(booksAfterRetries, 'KRW', 'SETTLEMENT')).toBe(kindTotal(booksBefore, 'KRW', 'SETTLEMENT'));

    // Cancel reverses: every paid one cancelled, the wallets hold exactly the top-ups again.
    for (const p of payments) {
      const c = await signedFetch(second.url, '/alipayplus/v1/payments/cancelPayment', { ...ids, paymentRequestId: p.payment_request_id });
      expect((c.body.result as { resultStatus: string }).resultStatus, p.payment_request_id).toBe('S');
    }
    const books = await readBooks(database.db);
    expect(kindTotal(books, 'KRW', 'SETTLEMENT')).toBe(0n);
    expect(kindTotal(books, 'KRW', 'CUSTOMER_WALLET')).toBe(books.topUps.get('KRW') ?? -1n);
    expect(await checkInvariants(database.db, traffic.answers)).toEqual(NO_VIOLATIONS);
    expect(second.output()).not.toMatch(/uncaught|unhandled/i);
  }, 120_000);
});
