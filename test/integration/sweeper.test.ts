/** §4 expiry: the sweeper closes overdue orders once, in bounded batches, safely from many instances. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { result } from '../../src/domain/errors.ts';
import type { CurrencyCode } from '../../src/domain/money.ts';
import { hashCashierToken, newCashierToken, newTimestampedId } from '../../src/domain/payments/ids.ts';
import type { FinalPayment, Payment } from '../../src/domain/payments/payment.ts';
import { expirySweeper, SWEEP_FLOOR_LAG_MS, SWEEP_LOAD_SAMPLES, SWEEP_MAX_LATENESS_MS, SWEEP_NICE_RATIO, SWEEP_RECHECK_MS } from '../../src/jobs/expiry-sweeper.ts';
import { sql } from 'kysely';
import { createDatabase, type DatabaseHandle, databaseLoad } from '../../src/persistence/database.ts';
import { payStore } from '../../src/persistence/pay-store.ts';
import { paymentUnitOfWork } from '../../src/persistence/payments-repository.ts';
import { attachDatabase, realPostgres, type TestDatabase, testDatabase } from '../support/harness.ts';
import { seedPay } from '../support/payments.ts';

const CUSTOMER = 'C_SWEEP';
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let database: TestDatabase;
let second: DatabaseHandle;
let run = 0;

beforeAll(async () => {
  database = await testDatabase();
  second = realPostgres ? attachDatabase(database.schema) : database;
  await database.db.insertInto('customers').values({ id: CUSTOMER, status: 'NORMAL', currency: 'KRW' }).execute();
});
afterAll(async () => {
  if (second !== database) await second.close();
  await database.close();
});

/** Inserts open orders accepted at T0 expiring at each given time; returns their ids. */
async function openOrders(expiries: Date[]): Promise<string[]> {
  const store = payStore(database.db);
  const tag = `S${++run}_`;
  const ids: string[] = [];
  for (const [i, expiresAt] of expiries.entries()) {
    const request = seedPay(CUSTOMER, `${tag}${i}`);
    const { paymentMethodId: _, ...method } = request.paymentMethod;
    const p = await store.accept(
      {
        paymentId: newTimestampedId(new Date()),
        pspId: request.pspId,
        paymentRequestId: request.paymentRequestId,
        customerId: CUSTOMER,
        paymentAmount: { currency: 'JPY' as CurrencyCode, valueMinor: 100n },
        payToAmount: { currency: 'KRW' as CurrencyCode, valueMinor: 1000n },
        surchargeAmount: undefined,
        debitAmount: { currency: 'KRW' as CurrencyCode, valueMinor: 1000n },
        quote: undefined,
        expiresAt,
        createdAt: T0,
        cashierTokenHash: hashCashierToken(newCashierToken()),
        request: { ...request, paymentMethod: { ...method, paymentMethodIdSha256: '0'.repeat(64) } },
      },
      'a'.repeat(64),
      { result: result('PAYMENT_IN_PROCESS'), paymentUrl: 'http://mpp.test/cashier/x' },
      { status: 'NORMAL', currency: 'KRW' },
    );
    if (!p.payment) throw new Error(`${request.paymentRequestId} was not accepted`);
    ids.push(p.payment.paymentId);
  }
  return ids;
}

async function statusOf(ids: string[]) {
  const rows = await database.db.selectFrom('payments').select(['id', 'status', 'result_code']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

async function closeHistory(ids: string[]) {
  return database.db.selectFrom('payment_status_history').selectAll().where('payment_id', 'in', ids).where('to_status', '!=', 'PROCESSING').execute();
}

async function drain(job: ReturnType<typeof expirySweeper>, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await job.runOnce(now);
    if (n === 0) return total;
    total += n;
  }
}

describe('the expiry sweeper', () => {
  it('closes at a given now exactly the orders whose expiry is at or before it, as F ORDER_IS_CLOSED', async () => {
    const ids = await openOrders([at(10), at(20), at(30)]);
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db) });
    await drain(sweeper, at(19)); // closes older leftovers of other tests too; we look at ours
    let s = await statusOf(ids);
    expect([ids.map((id) => s.get(id)!.status)]).toEqual([['CLOSED', 'PROCESSING', 'PROCESSING']]);
    await drain(sweeper, at(20));
    s = await statusOf(ids);
    expect(ids.map((id) => s.get(id)!.status)).toEqual(['CLOSED', 'CLOSED', 'PROCESSING']);
    expect(s.get(ids[0]!)!.result_code).toBe('ORDER_IS_CLOSED');
    const history = await closeHistory(ids);
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ from_status: 'PROCESSING', to_status: 'CLOSED', result_code: 'ORDER_IS_CLOSED', reason: 'EXPIRED' });
    await drain(sweeper, at(31));
  });

  it('works in bounded batches', async () => {
    await openOrders(Array.from({ length: 25 }, () => at(100)));
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db), batchSize: 10, pipeline: 1 });
    const runs = [await sweeper.runOnce(at(100)), await sweeper.runOnce(at(100)), await sweeper.runOnce(at(100)), await sweeper.runOnce(at(100))];
    expect(runs).toEqual([10, 10, 5, 0]);
  });

  it('runs up to `pipeline` batches a run side by side, over disjoint stretches, and closes each order once', async () => {
    const ids = await openOrders(Array.from({ length: 45 }, () => at(150)));
    const batches: string[][] = [];
    const sweeper = expirySweeper({
      uow: paymentUnitOfWork(database.db, { outbox: () => ({ queue: async (ps) => void batches.push(ps.map((p) => p.paymentId)) }) }),
      batchSize: 10,
      pipeline: 4,
    });
    expect([await sweeper.runOnce(at(150)), await sweeper.runOnce(at(150)), await sweeper.runOnce(at(150))]).toEqual([40, 5, 0]);
    const s = await statusOf(ids);
    expect(ids.every((id) => s.get(id)!.status === 'CLOSED')).toBe(true);
    expect(await closeHistory(ids)).toHaveLength(45);
    // Each batch of the first run closed ten neighbours of the walk (by expiry, then paymentId).
    const walk = [...ids].sort();
    const firstRun = batches.slice(0, 4).map((b) => [...b].sort());
    expect(firstRun.sort((a, b) => a[0]!.localeCompare(b[0]!))).toEqual([0, 10, 20, 30].map((i) => walk.slice(i, i + 10)));
    expect(batches.flat().sort()).toEqual(walk);
  });

  it('a batch of a run that fails rolls back alone, and the next run closes its orders', async () => {
    const ids = await openOrders(Array.from({ length: 30 }, () => at(160)));
    const walk = [...ids].sort();
    let down = true; // the outbox fails once, for the batch of the second stretch (the 11th order on)
    const sweeper = expirySweeper({
      uow: paymentUnitOfWork(database.db, {
        outbox: () => ({
          queue: async (ps) => {
            if (down && ps.some((p) => p.paymentId === walk[10])) {
              down = false;
              throw new Error('outbox down');
            }
          },
        }),
      }),
      batchSize: 10,
      pipeline: 4,
    });
    await expect(sweeper.runOnce(at(160))).rejects.toThrow('outbox down');
    // The batches of the first and third stretches committed; the second's rolled back.
    let s = await statusOf(ids);
    const closed = walk.map((id) => s.get(id)!.status === 'CLOSED');
    expect(closed).toEqual(walk.map((_, i) => i < 10 || i >= 20));
    expect(await sweeper.runOnce(at(160))).toBe(10);
    s = await statusOf(ids);
    expect(ids.every((id) => s.get(id)!.status === 'CLOSED')).toBe(true);
    expect(await closeHistory(ids)).toHaveLength(30);
  });

  it('finds where the batches of a run start: every batchSize-th overdue open order of the walk, none past now', async () => {
    const ids = await openOrders([...Array.from({ length: 25 }, () => at(170)), at(175)]);
    const walk = [...ids.slice(0, 25)].sort();
    const from = { expiresAt: at(170).toISOString(), paymentId: '' }; // this test's orders, not the earlier tests' closed ones
    const starts = (now: Date, every: number, count: number) => paymentUnitOfWork(database.db).run(({ payments }) => payments.sweepStarts(now, every, count, from));
    expect((await starts(at(170), 10, 3)).map((p) => p.paymentId)).toEqual([walk[10], walk[20]]);
    expect((await starts(at(170), 5, 5)).map((p) => p.paymentId)).toEqual([walk[5], walk[10], walk[15], walk[20]]); // the 26th expires after now
    expect((await starts(at(175), 5, 5)).map((p) => p.paymentId)).toEqual([walk[5], walk[10], walk[15], walk[20], ids[25]]);
    expect((await starts(at(170), 1, 2)).map((p) => p.paymentId)).toEqual([walk[1], walk[2]]);
    // A batch closes its stretch alone: from its start up to, not including, the next one's.
    const [second] = await starts(at(170), 10, 1);
    const batch = await paymentUnitOfWork(database.db).run(({ payments }) => payments.closeOverdue(at(175), 100, { from, before: second }));
    expect(batch.closed.map((p) => p.paymentId).sort()).toEqual(walk.slice(0, 10));
    expect(batch.firstOpen?.paymentId).toBe(walk[10]);
    await drain(expirySweeper({ uow: paymentUnitOfWork(database.db) }), at(175));
  });

  it('leaves paid orders alone', async () => {
    const [paid, open] = await openOrders([at(200), at(200)]);
    const uow = paymentUnitOfWork(database.db);
    await uow.run(({ payments }) => payments.completePayment(paid!, { now: at(150) }));
    expect(await drain(expirySweeper({ uow }), at(300))).toBe(1);
    const s = await statusOf([paid!, open!]);
    expect([s.get(paid!)!.status, s.get(open!)!.status]).toEqual(['SUCCESS', 'CLOSED']);
  });

  it('two sweepers in parallel close each order exactly once, with exactly one history row per close', async () => {
    const ids = await openOrders(Array.from({ length: 300 }, (_, i) => at(400 + (i % 7))));
    // On the real Postgres, A holds its first batch open until B has swept once, so B must skip
    // A's locked rows (SKIP LOCKED) rather than wait: both sweepers provably do work, whatever
    // the machine's load. PGlite has one connection, so there B simply runs after A.
    let bSweptOnce!: () => void;
    const bStarted = new Promise<void>((resolve) => (bSweptOnce = resolve));
    let held = false;
    const a = expirySweeper({
      uow: paymentUnitOfWork(database.db, {
        outbox: () => ({
          queue: async () => {
            if (realPostgres && !held) {
              held = true;
              await bStarted;
            }
          },
        }),
      }),
      batchSize: 25,
    });
    const b = expirySweeper({ uow: paymentUnitOfWork(second.db), batchSize: 25 });
    const drainB = async () => {
      if (realPostgres) while (!held) await new Promise((r) => setTimeout(r, 5));
      const first = await b.runOnce(at(500));
      bSweptOnce();
      return first + (await drain(b, at(500)));
    };
    const [byA, byB] = await Promise.all([drain(a, at(500)), realPostgres ? drainB() : drain(b, at(500))]);
    expect(byA + byB).toBe(300);
    if (realPostgres) expect(Math.min(byA, byB)).toBeGreaterThan(0); // both really worked
    const s = await statusOf(ids);
    expect(ids.every((id) => s.get(id)!.status === 'CLOSED')).toBe(true);
    const history = await closeHistory(ids);
    expect(history).toHaveLength(300);
    expect(new Set(history.map((h) => h.payment_id)).size).toBe(300);
  });

  it('only one of confirm and expiry wins for every order, whatever the timing', async () => {
    const ids = await openOrders(Array.from({ length: 60 }, () => at(600)));
    const confirmUow = paymentUnitOfWork(second.db);
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db), batchSize: 7 });
    // confirm a moment before the expiry (allowed) races the sweeper a moment after it
    const confirms = Promise.all(ids.map((id) => confirmUow.run(({ payments }) => payments.completePayment(id, { now: at(599) }))));
    const [confirmed, swept] = await Promise.all([confirms, drain(sweeper, at(601))]);
    const won = confirmed.filter((p): p is Payment => p !== undefined).length;
    expect(won + swept).toBe(60);
    const s = await statusOf(ids);
    expect(ids.filter((id) => s.get(id)!.status === 'SUCCESS')).toHaveLength(won);
    const history = await closeHistory(ids);
    expect(history).toHaveLength(60);
    expect(new Set(history.map((h) => h.payment_id)).size).toBe(60);
  });

  it('runs the final hook inside the batch transaction: a failing hook closes nothing', async () => {
    const ids = await openOrders([at(700), at(700)]);
    const seen: string[] = [];
    const failing = expirySweeper({
      uow: paymentUnitOfWork(database.db, {
        outbox: () => ({
          queue: async (payments) => {
            seen.push(...payments.map((p) => p.paymentId));
            throw new Error('outbox down');
          },
        }),
      }),
    });
    await expect(failing.runOnce(at(701))).rejects.toThrow('outbox down');
    expect(seen).toEqual(expect.arrayContaining(ids));
    const s = await statusOf(ids);
    expect(ids.map((id) => s.get(id)!.status)).toEqual(['PROCESSING', 'PROCESSING']);
    expect(await closeHistory(ids)).toHaveLength(0);
    const closedWith: FinalPayment[] = [];
    const working = expirySweeper({ uow: paymentUnitOfWork(database.db, { outbox: () => ({ queue: async (ps) => void closedWith.push(...ps) }) }) });
    expect(await drain(working, at(701))).toBe(2);
    expect(closedWith.map((p) => [p.status, p.resultCode])).toEqual([
      ['CLOSED', 'ORDER_IS_CLOSED'],
      ['CLOSED', 'ORDER_IS_CLOSED'],
    ]);
  });
});

describe('where the sweeper starts its batches (the floors)', () => {
  const ms = (seconds: number) => at(seconds).getTime();

  it('walks past a crowd of orders that expire together, more than a batch of them, closing each once', async () => {
    const ids = await openOrders(Array.from({ length: 45 }, () => at(1000)));
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db), batchSize: 10, pipeline: 1 });
    const runs: number[] = [];
    for (let n = -1; n !== 0; ) runs.push((n = await sweeper.runOnce(at(1001))));
    expect(runs).toEqual([10, 10, 10, 10, 5, 0]);
    const s = await statusOf(ids);
    expect(ids.every((id) => s.get(id)!.status === 'CLOSED')).toBe(true);
    expect(await closeHistory(ids)).toHaveLength(45);
  });

  it('does not pass over an order another transaction holds: the next batch closes it once it is let go', async () => {
    const [held, ...others] = await openOrders([at(1100), at(1100), at(1100)]);
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db) });
    await sweeper.runOnce(at(1090)); // a recheck: from here on the batches start from the floor
    if (realPostgres) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = second.db.transaction().execute(async (trx) => {
        await sql`select id from payments where id = ${held!} for update`.execute(trx);
        locked();
        await released;
      });
      await isLocked;
      expect(await sweeper.runOnce(at(1101))).toBe(2);
      release();
      await holder;
    } else {
      await sweeper.runOnce(at(1101));
    }
    expect(await sweeper.runOnce(at(1102))).toBe(realPostgres ? 1 : 0);
    const s = await statusOf([held!, ...others]);
    expect([held!, ...others].map((id) => s.get(id)!.status)).toEqual(['CLOSED', 'CLOSED', 'CLOSED']);
  });

  it('with batches side by side, does not pass over an order another transaction holds in the first batch', async () => {
    const ids = await openOrders(Array.from({ length: 25 }, () => at(1150)));
    const held = [...ids].sort()[2]!; // the walk goes by expiry, then paymentId: this one is in the first batch
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db), batchSize: 10, pipeline: 4 });
    await sweeper.runOnce(at(1140)); // a recheck: from here on the runs start from the floor
    if (!realPostgres) return; // PGlite is one session: no other transaction can hold a row while a batch runs
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = second.db.transaction().execute(async (trx) => {
      await sql`select id from payments where id = ${held} for update`.execute(trx);
      locked();
      await released;
    });
    await isLocked;
    expect(await sweeper.runOnce(at(1151))).toBe(24); // stretches of 10, 10 and the rest: 9 (the held order skipped), 10 and 5
    release();
    await holder;
    expect(await sweeper.runOnce(at(1152))).toBe(1);
    const s = await statusOf(ids);
    expect(ids.every((id) => s.get(id)!.status === 'CLOSED')).toBe(true);
  });

  it('closes an order committed after the floor passed its expiry at the next recheck, not before', async () => {
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db) });
    await sweeper.runOnce(at(1200)); // a recheck; the floor is now at(1200)
    const [late] = await openOrders([at(1195)]); // as if its acceptance had taken 5 s to commit
    expect(await sweeper.runOnce(at(1201))).toBe(0);
    expect((await statusOf([late!])).get(late!)!.status).toBe('PROCESSING');
    expect(await sweeper.runOnce(new Date(ms(1200) + SWEEP_RECHECK_MS))).toBe(1);
    expect((await statusOf([late!])).get(late!)!.status).toBe('CLOSED');
  });

  it('saves the trailing floor, and a new sweeper starts from it, not from the first order ever made', async () => {
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db) });
    await sweeper.runOnce(at(1300));
    const saved = await database.db.selectFrom('expiry_sweep_floor').select('floor').executeTakeFirstOrThrow();
    expect(new Date(saved.floor).getTime()).toBe(ms(1300) - SWEEP_FLOOR_LAG_MS);
    // An order below the saved floor (one committed later than the lag after its expiry, which
    // the floor's bound rules out) is one a restarted sweeper no longer walks to.
    const [below, above] = await openOrders([new Date(ms(1300) - SWEEP_FLOOR_LAG_MS - 1000), at(1301)]);
    const restarted = expirySweeper({ uow: paymentUnitOfWork(second.db) });
    expect(await restarted.runOnce(at(1302))).toBe(1);
    const s = await statusOf([below!, above!]);
    expect([s.get(below!)!.status, s.get(above!)!.status]).toEqual(['PROCESSING', 'CLOSED']);
    await database.db.updateTable('payments').set({ status: 'CLOSED', result_code: 'ORDER_IS_CLOSED' }).where('id', '=', below!).execute();
  });

  it('when the clock goes back, walks from the first order again, so orders accepted since are closed', async () => {
    const sweeper = expirySweeper({ uow: paymentUnitOfWork(database.db) });
    await sweeper.runOnce(at(1500));
    const [since] = await openOrders([at(1405)]); // accepted after the clock went back to at(1400)
    expect(await sweeper.runOnce(at(1406))).toBe(1);
    expect((await statusOf([since!])).get(since!)!.status).toBe('CLOSED');
  });
});

describe('the sweeper gives way to live traffic', () => {
  it('rests SWEEP_NICE_RATIO times its batch after a look that found the service busy, and for the looks after it', async () => {
    const runsToMake = SWEEP_LOAD_SAMPLES + 3;
    const looks = [0, 3, ...Array.from({ length: runsToMake - 2 }, () => 0)];
    const rests: number[] = [];
    const sweeper = expirySweeper({
      uow: paymentUnitOfWork(database.db),
      batchSize: 1,
      pipeline: 1,
      load: { othersActive: async () => looks.shift() ?? 0 },
      rest: async (ms) => void rests.push(ms),
    });
    await openOrders(Array.from({ length: runsToMake }, () => at(1600)));
    const runs: number[] = [];
    for (let i = 0; i < runsToMake; i++) {
      const started = performance.now();
      const before = rests.length;
      runs.push(await sweeper.runOnce(at(1601)));
      if (rests.length > before) expect(rests.at(-1)!).toBeLessThanOrEqual((performance.now() - started) * SWEEP_NICE_RATIO);
    }
    expect(runs).toEqual(Array.from({ length: runsToMake }, () => 1));
    // the second look saw the service busy: that batch and the next SWEEP_LOAD_SAMPLES - 1 rest
    expect(rests).toHaveLength(SWEEP_LOAD_SAMPLES);
    expect(rests.every((ms) => ms > 0)).toBe(true);
    expect(await sweeper.runOnce(at(1601))).toBe(0);
    expect(rests).toHaveLength(SWEEP_LOAD_SAMPLES); // nothing closed: no look, no rest
  });

  it('does not rest once it has fallen behind: the first open order more than SWEEP_MAX_LATENESS_MS past its expiry', async () => {
    const rests: number[] = [];
    const sweeper = expirySweeper({
      uow: paymentUnitOfWork(database.db),
      batchSize: 1,
      pipeline: 1,
      load: { othersActive: async () => 1 },
      rest: async (ms) => void rests.push(ms),
    });
    await openOrders([at(1700), at(1700), at(1700)]);
    const late = new Date(at(1700).getTime() + SWEEP_MAX_LATENESS_MS + 1);
    expect([await sweeper.runOnce(late), await sweeper.runOnce(late)]).toEqual([1, 1]);
    expect(rests).toEqual([]); // behind: the third order is still open and late
    expect(await sweeper.runOnce(late)).toBe(1);
    expect(rests).toHaveLength(1); // caught up: nothing open is late, so the busy service is given way to
  });

  it('while giving way, runs one small batch at a time, and batches side by side again once it has fallen behind', async () => {
    const busyService = { othersActive: async () => 1 };
    const shaped = () =>
      expirySweeper({ uow: paymentUnitOfWork(database.db), batchSize: 10, pipeline: 4, giveWayBatchSize: 4, load: busyService, rest: async () => undefined });
    await openOrders(Array.from({ length: 70 }, () => at(1900)));
    const sweeper = shaped();
    const runs: number[] = [];
    for (let n = -1; n !== 0; ) runs.push((n = await sweeper.runOnce(at(1901))));
    // the first run has not looked yet: four batches of 10; then one batch of 4 a run
    expect(runs).toEqual([40, 4, 4, 4, 4, 4, 4, 4, 2, 0]);
    await openOrders(Array.from({ length: 70 }, () => at(1950)));
    const late = new Date(at(1950).getTime() + SWEEP_MAX_LATENESS_MS + 1);
    const behind = shaped();
    expect([await behind.runOnce(late), await behind.runOnce(late), await behind.runOnce(late)]).toEqual([40, 30, 0]);
  });

  it("counts the service's own sessions running a statement, not other programs' nor idle ones", async () => {
    if (!realPostgres) {
      // PGlite is one session: there is never anyone else.
      expect(await databaseLoad(database.db).othersActive()).toBe(0);
      return;
    }
    const name = `load_${run}_${Date.now()}`;
    const url = process.env.DATABASE_URL;
    const looker = createDatabase({ url, poolSize: 1, applicationName: name });
    const ours = createDatabase({ url, poolSize: 2, applicationName: name });
    const theirs = createDatabase({ url, poolSize: 1, applicationName: `${name}_ops` });
    try {
      await sql`select 1`.execute(ours.db); // an idle session of ours
      expect(await databaseLoad(looker.db).othersActive()).toBe(0);
      const sleeping = [sql`select pg_sleep(1)`.execute(ours.db), sql`select pg_sleep(1)`.execute(theirs.db)];
      await new Promise((r) => setTimeout(r, 300));
      expect(await databaseLoad(looker.db).othersActive()).toBe(1);
      await Promise.all(sleeping);
      expect(await databaseLoad(looker.db).othersActive()).toBe(0);
    } finally {
      await Promise.all([looker.close(), ours.close(), theirs.close()]);
    }
  });
});
