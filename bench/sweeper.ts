/**
 * How fast the §4 expiry sweeper closes overdue orders on the real Postgres.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/sweeper.ts
 *   (ORDERS=100000 BATCH=1000 SWEEPERS=1 by default; CHECKPOINT=1: a CHECKPOINT between the
 *   inserts and the sweep, so that every first close on a page writes a full-page image, as in
 *   production and in `npm run bench`'s sweeper scenario)
 *
 * Builds a fresh schema, inserts ORDERS overdue PROCESSING orders (each with a realistic stored
 * request and its creation history row) with generate_series, then times SWEEPERS instances
 * (one pool of two connections each, with the notify outbox as the service wires it) calling
 * runOnce(now) until nothing is left, and checks that every order was closed, and queued for
 * notifyPayment, exactly once. Prints closes per second. The schema is dropped at the end.
 *
 * On a shared machine the wall clock measures the neighbours too, so the bench also reads the CPU
 * time the sweepers' Postgres backends (from /proc, when Postgres runs on this host) and this
 * process spent: `closesPerCpuSecond` = closes / (backend CPU + Node CPU) is what one sweeper
 * would do on an idle core, fsync waits aside.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { storedRequest } from '../src/domain/payments/pay.ts';
import { expirySweeper } from '../src/jobs/expiry-sweeper.ts';
import { createDatabase, quoteIdent } from '../src/persistence/database.ts';
import { migrateToLatest } from '../src/persistence/migrate.ts';
import { notifyOutbox } from '../src/persistence/notify-outbox-repository.ts';
import { paymentUnitOfWork } from '../src/persistence/payments-repository.ts';
import { seedPayRequest } from '../src/simulator/seed-sample.ts';
import { cpuSeconds } from './lib/sampler.ts';
import { BENCH_ACQUIRER_ID, BENCH_PSP_ID } from './lib/service.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required (the bench measures the real Postgres)');
  process.exit(2);
}
const ORDERS = Number(process.env.ORDERS ?? 100_000);
const BATCH = Number(process.env.BATCH ?? 1000);
const SWEEPERS = Number(process.env.SWEEPERS ?? 1);
const schema = `bench_${randomBytes(4).toString('hex')}`;

const now = new Date('2030-01-01T00:10:00Z');
const main = createDatabase({ url, schema, poolSize: 2 });
const pools = Array.from({ length: SWEEPERS }, () => createDatabase({ url, schema, poolSize: 2 }));

// The stored form of the seed's pay (the method id kept as its SHA-256); paymentRequestId is set per row.
const request = storedRequest(
  seedPayRequest({ pspId: BENCH_PSP_ID, acquirerId: BENCH_ACQUIRER_ID, paymentRequestId: 'R', customerId: 'C_BENCH', paymentMethodId: 'pm-bench' }),
);

try {
  await migrateToLatest(main.db, { schema });
  await main.db.insertInto('customers').values({ id: 'C_BENCH', status: 'NORMAL', currency: 'KRW' }).execute();
  const t0 = performance.now();
  await sql`
    insert into payments (id, psp_id, payment_request_id, customer_id, status, result_code,
                          payment_currency, payment_minor, pay_to_currency, pay_to_minor, debit_minor,
                          quote_id, quote_pair, quote_price, expires_at, cashier_token_hash, request,
                          created_at, updated_at)
    select 'P' || g, '1022088000000000001', 'R' || g, 'C_BENCH', 'PROCESSING', 'PAYMENT_IN_PROCESS',
           'JPY', 100, 'KRW', 1000, 1000, '1234567', 'JPY/KRW', 10.0000,
           ${now.toISOString()}::timestamptz - interval '1 minute' + (g % 50) * interval '1 second',
           md5('t' || g) || md5('u' || g),
           jsonb_set(${JSON.stringify(request)}::jsonb, '{paymentRequestId}', to_jsonb('R' || g)),
           ${now.toISOString()}::timestamptz - interval '5 minutes', ${now.toISOString()}::timestamptz - interval '5 minutes'
      from generate_series(1, ${ORDERS}) g`.execute(main.db);
  await sql`
    insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
    select id, null, 'PROCESSING', 'PAYMENT_IN_PROCESS', 'ACCEPTED', created_at from payments`.execute(main.db);
  await sql`analyze`.execute(main.db);
  console.log(`inserted ${ORDERS} overdue orders in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (process.env.CHECKPOINT === '1') await sql`checkpoint`.execute(main.db);

  // With the notify outbox, as the service wires it: every close queues its notifyPayment in the batch's transaction.
  const sweepers = pools.map((p) => expirySweeper({ uow: paymentUnitOfWork(p.db, { outbox: notifyOutbox }), batchSize: BATCH }));
  // Each pool's two connections (a run's two batches, one on each: pipelinedBatches), opened now by
  // two statements at once, so that their backends are known.
  const pidOf = async (db: (typeof pools)[number]['db']) => (await sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(db)).rows[0]!.pid;
  const backendPids = [...new Set(await Promise.all(pools.flatMap((p) => [pidOf(p.db), pidOf(p.db)])))];
  // 0 when Postgres is not on this host.
  const backendCpu = () => backendPids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  const cpu0 = { backend: backendCpu(), node: process.cpuUsage() };
  const started = performance.now();
  const perSweeper = await Promise.all(
    sweepers.map(async (s) => {
      let closed = 0;
      let batches = 0;
      for (;;) {
        const n = await s.runOnce(now);
        if (n === 0) return { closed, batches };
        closed += n;
        batches += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const closed = perSweeper.reduce((a, b) => a + b.closed, 0);
  const nodeUsage = process.cpuUsage(cpu0.node);
  const nodeCpuSeconds = (nodeUsage.user + nodeUsage.system) / 1e6;
  const backendCpuSeconds = backendCpu() - cpu0.backend;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

  const check = await sql<{ open: string; closed: string; closes: string; distinct_closes: string; notifications: string }>`
    select (select count(*) from payments where status = 'PROCESSING')::text as open,
           (select count(*) from payments where status = 'CLOSED')::text as closed,
           (select count(*) from payment_status_history where to_status = 'CLOSED')::text as closes,
           (select count(distinct payment_id) from payment_status_history where to_status = 'CLOSED')::text as distinct_closes,
           (select count(*) from notify_outbox)::text as notifications`.execute(main.db);
  const c = check.rows[0]!;
  const exactlyOnce =
    Number(c.open) === 0 && Number(c.closed) === ORDERS && Number(c.closes) === ORDERS && Number(c.distinct_closes) === ORDERS && Number(c.notifications) === ORDERS;
  console.log(
    JSON.stringify({
      orders: ORDERS,
      batchSize: BATCH,
      sweepers: SWEEPERS,
      closed,
      perSweeper,
      seconds: Number(seconds.toFixed(3)),
      closesPerSecond: Math.round(closed / seconds),
      backendCpuSeconds: Number(backendCpuSeconds.toFixed(2)),
      nodeCpuSeconds: Number(nodeCpuSeconds.toFixed(2)),
      closesPerCpuSecond: backendCpuSeconds > 0 ? Math.round(closed / (backendCpuSeconds + nodeCpuSeconds)) : null,
      loadAverage: load,
      exactlyOnce,
    }),
  );
  if (!exactlyOnce) process.exitCode = 1;
} finally {
  await sql`drop schema if exists ${sql.raw(quoteIdent(schema))} cascade`.execute(main.db).catch(() => undefined);
  await Promise.all(pools.map((p) => p.close()));
  await main.close();
}
