/**
 * Issue 9 point 1 (b): Postgres connections are killed (pg_terminate_backend) under traffic, then
 * the database is crashed (pg_ctl stop -m immediate) and started again. While it is away every
 * Alipay+ answer is HTTP 200, signed, U UNKNOWN_EXCEPTION (never a wrong S or F), within Alipay+'s
 * 8 s; the pg pool reconnects by itself; every pay acknowledged before the crash is still there
 * (synchronous_commit on) and replaying its paymentRequestId gives the same paymentId.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAOS_CUSTOMERS as customers, type ChaosService, startChaosService } from './chaos-service.ts';
import { checkInvariants, NO_VIOLATIONS } from './invariants.ts';
import { ALIPAYPLUS_TIMEOUT_MS, summarize, Traffic } from './traffic.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Postgres connections killed and the database crashed under traffic', () => {
  let chaos: ChaosService;

  beforeAll(async () => {
    chaos = await startChaosService({ poolSize: 6 });
  }, 60_000);

  afterAll(async () => chaos?.close());

  async function terminateBackends(): Promise<number> {
    const admin = new pg.Client({ connectionString: chaos.postgres.url });
    await admin.connect();
    try {
      const r = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
      return r.rowCount ?? 0;
    } finally {
      await admin.end();
    }
  }

  it('answers U while the database is away, recovers by itself and loses no acknowledged payment', async () => {
    const traffic = new Traffic({ baseUrl: () => chaos.baseUrl, customers, concurrency: 4 });
    traffic.start();
    await sleep(1500);

    traffic.phase = 'killed';
    let terminated = 0;
    for (let i = 0; i < 4; i++) {
      terminated += await terminateBackends();
      await sleep(400);
    }
    await sleep(800);

    // What the caller was told before the crash: accepted orders with their paymentIds.
    traffic.phase = 'down';
    const acknowledged = new Map<string, string>();
    for (const a of traffic.answers) if (a.kind === 'pay' && a.resultCode === 'PAYMENT_IN_PROCESS' && a.paymentId) acknowledged.set(a.key, a.paymentId);
    await chaos.postgres.stopAsync('immediate');
    await sleep(3000);

    traffic.phase = 'after';
    await chaos.postgres.startAsync();
    const restartedAt = Date.now();
    let recoveredInMs = -1;
    while (Date.now() - restartedAt < 15_000) {
      const a = await traffic.pay();
      if (a.resultCode === 'PAYMENT_IN_PROCESS') {
        recoveredInMs = Date.now() - restartedAt;
        break;
      }
      await sleep(200);
    }
    await sleep(1500);
    await traffic.stop();

    const slowest = Math.max(...traffic.answers.map((a) => a.ms));
    console.info('postgres outage: answers', summarize(traffic.answers), {
      terminatedBackends: terminated,
      acknowledgedBeforeCrash: acknowledged.size,
      recoveredInMs,
      slowestMs: slowest,
    });

    expect(terminated).toBeGreaterThan(0);
    expect(recoveredInMs).toBeGreaterThanOrEqual(0);

    const alipayPlus = traffic.answers.filter((a) => a.kind !== 'topup');
    // Never a 500 (nor no answer) on an Alipay+ route: HTTP 200, signed, within 8 s.
    expect(alipayPlus.filter((a) => a.httpStatus !== 200 || !a.signed)).toEqual([]);
    expect(alipayPlus.filter((a) => a.ms >= ALIPAYPLUS_TIMEOUT_MS)).toEqual([]);
    // Never a wrong S or F: pay answers U (accepted, or unknown while the database is away);
    // inquiry answers the order's U, or U UNKNOWN_EXCEPTION when it cannot read it.
    const verdict = (a: (typeof alipayPlus)[number]) => `${a.resultStatus} ${a.resultCode}${a.kind === 'inquiry' ? ` ${a.paymentStatus}` : ''}`;
    expect(
      alipayPlus.filter((a) =>
        a.kind === 'inquiry'
          ? !['S SUCCESS U', 'U UNKNOWN_EXCEPTION undefined'].includes(verdict(a))
          : !['U PAYMENT_IN_PROCESS', 'U UNKNOWN_EXCEPTION'].includes(verdict(a)),
      ),
    ).toEqual([]);
    const whileDown = traffic.inPhase('down');
    expect(whileDown.filter((a) => a.kind !== 'topup').length).toBeGreaterThan(5);
    // Ops top-ups while down: a 5xx with a reason is fine, an acknowledged top-up must be real (invariants).
    expect(traffic.answers.filter((a) => a.kind === 'topup' && a.httpStatus === 0)).toEqual([]);

    // No acknowledged payment lost, none duplicated, the ledger balances.
    expect(await checkInvariants(chaos.database.db, traffic.answers)).toEqual(NO_VIOLATIONS);
    const stored = await chaos.database.db.selectFrom('payments').select(['id', 'payment_request_id']).execute();
    const storedIds = new Map(stored.map((s) => [s.payment_request_id, s.id]));
    for (const [requestId, paymentId] of acknowledged) expect(storedIds.get(requestId), requestId).toBe(paymentId);

    // Replaying each acknowledged paymentRequestId gives the same paymentId.
    const replays = [...acknowledged.keys()];
    const mismatches: string[] = [];
    for (let i = 0; i < replays.length; i += 8) {
      await Promise.all(
        replays.slice(i, i + 8).map(async (id) => {
          const a = await traffic.pay(id);
          if (a.paymentId !== acknowledged.get(id)) mismatches.push(`${id}: ${a.resultStatus} ${a.resultCode} ${a.paymentId}`);
        }),
      );
    }
    expect(mismatches).toEqual([]);
    expect(await sql`select 1`.execute(chaos.database.db)).toBeDefined();
  }, 60_000);
});
