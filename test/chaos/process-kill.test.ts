/**
 * Issue 9 point 1 (c): a service instance is SIGKILLed between accepting payments and notifying
 * them. The service runs as a real process (src/server.ts, whose
 * §5 outbox queues every final payment) over its own Postgres and Redis, notifying a fake Alipay+
 * that verifies our signature and counts hits per paymentId. Orders expire 2 s after pay, so the
 * sweeper makes them final (F ORDER_IS_CLOSED) and queues their notifications; the receiver is
 * slow (3 s), so the first instance is killed with notifications in flight and others queued.
 * A second instance must deliver every one (at least once; a resend after the crash carries the
 * identical body, which Alipay+'s idempotency on paymentId absorbs), lose no payment, and leave
 * no outbox row pending.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { createDatabase, type DatabaseHandle } from '../../src/persistence/database.ts';
import { migrateToLatest } from '../../src/persistence/migrate.ts';
import { TEST_OPS_TOKEN } from '../support/harness.ts';
import { type FakeAlipayPlus, startFakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { checkInvariants, NO_VIOLATIONS, outboxState } from './invariants.ts';
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from './own-services.ts';
import { kill9, sleep, startInstance as startInstance_, waitFor } from './service-process.ts';
import { summarize, Traffic } from './traffic.ts';

describe('a service process SIGKILLed between accepting payments and notifying them', () => {
  let pg: OwnPostgres;
  let redis: OwnRedis;
  let database: DatabaseHandle;
  let receiver: FakeAlipayPlus;
  const children: ChildProcess[] = [];
  const customers = ['CH_A', 'CH_B'];

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

  const startInstance = () => startInstance_({ postgresUrl: pg.url, redisUrl: redis.url, alipayPlusUrl: receiver.url, children, env: { NOTIFY_LEASE_MS: '8000' } });

  it('notifies every final payment after a restart, loses none, and leaves nothing pending', async () => {
    const first = await startInstance();
    for (const c of customers) {
      const res = await fetch(`${first.url}/ops/v1/customers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_OPS_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: c, currency: 'KRW', status: 'NORMAL' }),
      });
      expect(res.status).toBe(201);
    }

    // A slow Alipay+: the first instance's notifications are still in flight when it dies.
    receiver.setOptions({ delayMs: 3000 });
    let baseUrl = first.url;
    const traffic = new Traffic({
      baseUrl: () => baseUrl,
      customers,
      concurrency: 3,
      payExtras: () => ({ paymentExpiryTime: isoWithOffset(new Date(Date.now() + 2000)) }),
    });
    traffic.start();
    const isNotify = (h: { path: string }) => h.path.endsWith('/notifyPayment');
    await waitFor('a notification in flight', async () => (receiver.hits.some(isNotify) ? true : undefined), 20_000);
    // The dispatcher's batch now waits on the slow receiver while more orders close behind it.
    await sleep(1500);

    traffic.phase = 'killed';
    const killedAt = Date.now();
    await kill9(first);
    const hitsAtKill = receiver.hits.filter(isNotify).length;
    const atKill = await outboxState(database.db);

    receiver.setOptions({});
    const second = await startInstance();
    baseUrl = second.url;
    traffic.phase = 'after';
    await sleep(2000);
    await traffic.stop();

    // Every order closes (2 s expiry) and every notification drains: leased rows of the dead
    // instance come due when their 8 s lease runs out.
    const drained = await waitFor(
      'every order final and the outbox drained',
      async () => {
        const open = await database.db.selectFrom('payments').select('id').where('status', '=', 'PROCESSING').execute();
        const s = await outboxState(database.db);
        return open.length === 0 && s.pending === 0 && s.rows === s.finalPayments ? s : undefined;
      },
      35_000,
    );

    const payments = await database.db.selectFrom('payments').select(['id', 'payment_request_id', 'status', 'result_code']).execute();
    const notifyHits = receiver.hits.filter(isNotify);
    const duplicates: Record<string, number> = {};
    const problems: string[] = [];
    for (const p of payments) {
      const hits = receiver.hitsFor(p.id).filter(isNotify);
      if (hits.length === 0) problems.push(`${p.id}: never notified`);
      if (hits.some((h) => !h.signatureValid)) problems.push(`${p.id}: a notification not signed by us`);
      if (new Set(hits.map((h) => h.raw)).size > 1) problems.push(`${p.id}: notifications with different bodies`);
      const body = hits[0]?.body as { paymentRequestId?: string; paymentResult?: { resultStatus?: string; resultCode?: string } } | undefined;
      if (body && (body.paymentRequestId !== p.payment_request_id || body.paymentResult?.resultCode !== p.result_code || body.paymentResult?.resultStatus !== 'F')) {
        problems.push(`${p.id}: notified ${JSON.stringify(body.paymentResult)} for ${p.status} ${p.result_code}`);
      }
      if (hits.length > 1) duplicates[p.id] = hits.length;
    }
    console.info('process kill:', summarize(traffic.answers), {
      payments: payments.length,
      outboxAtKill: atKill,
      notifyHitsBeforeKill: hitsAtKill,
      notifyHits: notifyHits.length,
      duplicateDeliveries: Object.keys(duplicates).length,
      outboxAfter: drained,
    });

    expect(payments.length).toBeGreaterThan(5);
    expect(atKill.pending).toBeGreaterThan(0); // the kill really left work behind
    expect(problems).toEqual([]);
    expect(drained).toMatchObject({ pending: 0, failed: 0, missing: [] });
    // Any extra delivery is a resend of the identical body for the same paymentId (checked above):
    // at most one per crash-interrupted send, i.e. for payments notified before the kill.
    expect(Object.keys(duplicates).length).toBeLessThanOrEqual(hitsAtKill);
    expect(await checkInvariants(database.db, traffic.answers)).toEqual(NO_VIOLATIONS);

    // Answers from live instances were never a wrong S or F: an F (replayed pay) is only
    // ORDER_IS_CLOSED for an order that is closed; only the kill window went unanswered.
    const closed = new Set(payments.filter((p) => p.status === 'CLOSED').map((p) => p.payment_request_id));
    const answered = traffic.answers.filter((a) => a.kind !== 'topup' && a.httpStatus !== 0);
    expect(answered.filter((a) => a.httpStatus !== 200 || !a.signed)).toEqual([]);
    expect(answered.filter((a) => a.resultStatus === 'F' && !(a.resultCode === 'ORDER_IS_CLOSED' && closed.has(a.key)))).toEqual([]);
    expect(answered.filter((a) => a.resultStatus === 'S' && a.kind !== 'inquiry')).toEqual([]);
    // (A call cut by the kill ends after it; calls in the 'after' phase go to the live instance.)
    expect(traffic.answers.filter((a) => a.httpStatus === 0 && (a.endedAt < killedAt || a.phase === 'after'))).toEqual([]);
    expect(second.output()).not.toMatch(/uncaught|unhandled/i);
  }, 90_000);
});
