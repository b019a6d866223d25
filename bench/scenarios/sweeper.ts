/**
 * The expiry sweeper (§4 expiry): time to close 100,000 overdue PROCESSING orders as
 * F ORDER_IS_CLOSED, driving the job's runOnce in this process until a run finds nothing; then
 * pay's latency while the sweeper closes another batch, against pay's latency alone. Between the
 * two, a control: pay on the table as the sweeper will find it (the orders for the second batch
 * inserted and analyzed), the sweeper idle. The target compares with pay alone; the control says
 * how much of the difference the table's growth accounts for (docs/performance.md, tenth round).
 */
import { routeExists } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { type WalCounters, walCounters } from '../lib/database.ts';
import { drain, inProcessJobs, moduleExists } from '../lib/jobs.ts';
import { insertOverdueOrders, NotPossible, stillOpen } from '../lib/orders.ts';
import { PAY_ACCEPTED, PAY_PATH, payJob } from '../lib/payloads.ts';
import { cpuWindowOf } from '../lib/sampler.ts';
import { changeText, countText } from '../lib/table.ts';

export const SWEEPER_MODULE = 'src/jobs/expiry-sweeper.ts';
export const SWEEPER_JOB = /expir|sweep/i;

/** The row with a note comparing it with the control, when both measured a rate and a p99. */
function withControl(row: Row, control: Row): Row {
  if (row.rate === undefined || row.p99Ms === undefined || control.rate === undefined || control.p99Ms === undefined) return row;
  const note = `vs the control (${countText(control.rate)} req/s, p99 ${control.p99Ms} ms): rate ${changeText(row.rate, control.rate)}, p99 ${changeText(row.p99Ms, control.p99Ms)}`;
  return { ...row, notes: [...(row.notes ?? []), note] };
}

/**
 * The orders for the window with pay: more than the sweeper closes in it while it gives way (467
 * to 960 a second with batches of 100 in this machine's runs, 2,361 with batches of 500), so that
 * it is busy the whole window.
 */
const WINDOW_ORDERS = 60_000;

/**
 * A CHECKPOINT between inserting the orders and closing them. The first change to a page after a
 * checkpoint writes the whole page to the WAL (a full-page image), so a close costs more when a
 * checkpoint came between the order's insert and its close. In production it usually has: an
 * order expires three minutes after it was made, and checkpoints come every five minutes
 * (checkpoint_timeout) or sooner under write load. In the bench it was chance: in two partial runs
 * of the same code the window with the sweeper wrote 16.2 kB of WAL and 1.84 full-page images a
 * pay request in one, 6.8 kB and 0.01 in the other. Now every run measures the production case.
 */
async function pagesOlderThanACheckpoint(ctx: BenchContext): Promise<void> {
  await ctx.db.pool.query('checkpoint');
}

interface DatabaseWork {
  readonly wal: WalCounters;
  /** Pages read into shared buffers (from the OS), and found there. */
  readonly blocksRead: number;
  readonly blocksHit: number;
  /** Dirty pages a backend had to write itself to free a buffer. */
  readonly backendWrites: number;
  /** VACUUMs and ANALYZEs finished (the bench's autovacuum stand-in's among them). */
  readonly vacuums: number;
  /** VACUUMs running at the moment of the read. */
  readonly vacuumsRunning: number;
}

/**
 * The counters to difference (the WAL's as every load row reads them, walCounters; backends'
 * writes and VACUUMs server-wide; pages for the bench's database); undefined where the server
 * lacks one of the views (pg_stat_wal is Postgres 14+, and Postgres 17 moved buffers_backend to
 * pg_stat_io).
 */
async function databaseWork(ctx: BenchContext): Promise<DatabaseWork | undefined> {
  const [wal, rest] = await Promise.all([
    walCounters(ctx.db.pool),
    ctx.db.pool
      .query<Omit<DatabaseWork, 'wal'>>(
        `select d.blks_read::float8 as "blocksRead", d.blks_hit::float8 as "blocksHit",
                b.buffers_backend::float8 as "backendWrites",
                (select coalesce(sum(vacuum_count + autovacuum_count + analyze_count + autoanalyze_count), 0)::float8 from pg_stat_user_tables) as vacuums,
                (select count(*) from pg_stat_progress_vacuum)::float8 as "vacuumsRunning"
           from pg_stat_bgwriter b, pg_stat_database d where d.datname = current_database()`,
      )
      .then(
        ({ rows }) => rows[0],
        () => undefined,
      ),
  ]);
  return wal && rest ? { wal, ...rest } : undefined;
}

/**
 * The sweeper's cost a close, split as the pay rows split a request: its process's CPU, all of
 * Postgres's (the autovacuum stand-in's included, as in every row), the WAL and the pages it made
 * Postgres read and write, and the VACUUMs and ANALYZEs that finished or ran meanwhile.
 */
function sweepCostNote(
  closes: number,
  seconds: number,
  node: NodeJS.CpuUsage,
  postgresSeconds: number | undefined,
  a: DatabaseWork | undefined,
  b: DatabaseWork | undefined,
): string {
  const us = (s: number) => ((s * 1e6) / closes).toFixed(0);
  const each = (n: number) => (n / closes).toFixed(2);
  const pg =
    postgresSeconds === undefined ? 'Postgres not on this machine' : `Postgres ${us(postgresSeconds)} (${((postgresSeconds / seconds) * 100).toFixed(0)}% of a core)`;
  const heap = `the bench process's heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`;
  const cpu = `a close cost: sweeper process ${us((node.user + node.system) / 1e6)} µs of CPU, ${pg}`;
  if (!a || !b) return `${cpu}; the server's WAL, buffer and VACUUM counters not readable; ${heap}`;
  return (
    `${cpu}; ` +
    `WAL ${((b.wal.bytes - a.wal.bytes) / closes).toFixed(0)} B and ${each(b.wal.fullPageImages - a.wal.fullPageImages)} full-page images, ` +
    `pages read ${each(b.blocksRead - a.blocksRead)} and found ${each(b.blocksHit - a.blocksHit)}, written by a backend ${each(b.backendWrites - a.backendWrites)}; ` +
    `${b.vacuums - a.vacuums} VACUUM/ANALYZE finished in the window (${a.vacuumsRunning} VACUUM running at its start, ${b.vacuumsRunning} at its end); ${heap}`
  );
}

export const sweeper: Scenario = {
  name: 'sweeper',
  async run(ctx: BenchContext): Promise<Row[]> {
    const count = ctx.options.smoke ? 5000 : 100_000;
    const label = `sweeper (${countText(count)} overdue orders)`;
    const duringLabel = 'pay while the sweeper runs';
    const controlLabel = 'pay on the same table, sweeper idle (control)';
    const na = (reason: string) => [
      notAvailable('sweeper', label, reason),
      notAvailable('pay-before-sweeper', controlLabel, reason),
      notAvailable('pay-during-sweeper', duringLabel, reason),
    ];
    if (!moduleExists(SWEEPER_MODULE)) return na(`${SWEEPER_MODULE} missing`);
    if (!(await routeExists(ctx.service.url, PAY_PATH))) return na('pay route missing (it makes the orders)');

    const jobs = await inProcessJobs(ctx);
    try {
      const job = jobs.find(SWEEPER_JOB);
      if (!job) return na(`no job named like /expir|sweep/ among buildApp's jobs (${jobs.jobs.map((j) => j.name).join(', ') || 'none'})`);

      // The orders the earlier scenarios left PROCESSING that are overdue by now are closed first,
      // untimed. The rate is what the sweeper closed in the timed run: this scenario's orders, and any
      // earlier order that came due meanwhile (the notes say how many).
      const earlier = await drain(job, { maxSeconds: 600 });
      const alone = await insertOverdueOrders(ctx, count, 1);
      await pagesOlderThanACheckpoint(ctx);
      const work0 = await databaseWork(ctx);
      const postgresCpu = cpuWindowOf('postgres');
      const cpu0 = process.cpuUsage();
      const run = await drain(job, { maxSeconds: 600 });
      const cpu = process.cpuUsage(cpu0);
      const postgresSeconds = postgresCpu.end();
      const work1 = await databaseWork(ctx);
      const open = await stillOpen(ctx, alone);
      const rate = run.handled / run.seconds;
      const sweeperRow: Row = {
        scenario: 'sweeper',
        label,
        status: 'ok',
        rate,
        unit: 'closes/s',
        codesAsExpected: open === 0,
        notes: [
          `${countText(earlier.handled)} orders of the earlier scenarios closed first (untimed)`,
          `${countText(alone.inserted)} orders inserted in ${alone.seconds.toFixed(1)} s; ${countText(run.handled)} closed in ${run.seconds.toFixed(2)} s over ${run.batches} runOnce calls` +
            (run.handled > alone.inserted ? ` (${countText(run.handled - alone.inserted)} of them earlier orders that came due during the run)` : ''),
          `sweeper process CPU ${(((cpu.user + cpu.system) / 1e6 / run.seconds) * 100).toFixed(0)}%`,
          sweepCostNote(run.handled, run.seconds, cpu, postgresSeconds, work0, work1),
          ...(open > 0 ? [`!! ${countText(open)} orders still PROCESSING after the sweeper said it was done`] : []),
        ],
      };

      // The sweeper again, while pay is loaded, on orders that came due just before the window:
      // in production orders expire as they were made, three minutes earlier, and the sweeper closes
      // them as they come due, giving way to the live traffic. The control runs first, on the same
      // table and after a checkpoint too. The window's orders are inserted after it, so that the
      // first of them is well under SWEEP_MAX_LATENESS_MS (60 s) late when the window ends. Before,
      // they were inserted before the control and were 60 to 85 s late when the window began: the
      // sweeper had fallen behind by its own measure and swept at full speed, so the window
      // measured a catch-up after an outage, not the sweeper at work.
      const seconds = ctx.options.durationSeconds;
      await pagesOlderThanACheckpoint(ctx);
      const control = await ctx.measure(payJob(ctx, { name: 'pay-before-sweeper', prefix: `${ctx.runId}-pc-`, connections: ctx.options.connections }), [
        ctx.service.sampler,
      ]);
      const controlRow = loadRow('pay-before-sweeper', controlLabel, control, { expect: PAY_ACCEPTED });
      const during = await insertOverdueOrders(ctx, ctx.options.smoke ? count : WINDOW_ORDERS, 2);
      await pagesOlderThanACheckpoint(ctx);
      let loadEnded = false;
      let sweeping: ReturnType<typeof drain> | undefined;
      let lateAtStart = 0;
      const m = await ctx.measure(payJob(ctx, { name: 'pay-during-sweeper', prefix: `${ctx.runId}-ps-`, connections: ctx.options.connections }), [ctx.service.sampler], {
        onStart: () => {
          lateAtStart = (performance.now() - during.dueAt) / 1000;
          sweeping = drain(job, { maxSeconds: 600, until: () => loadEnded });
        },
        onEnd: () => (loadEnded = true),
      });
      loadEnded = true;
      const swept = sweeping ? await sweeping : undefined;
      const notes = swept
        ? [
            `the sweeper closed ${countText(swept.handled)} orders at ${countText(swept.handled / swept.seconds)}/s under load, ` +
              (swept.handled >= during.inserted ? `and ran out of work after ${swept.seconds.toFixed(1)} s of the ${seconds} s run` : 'busy the whole run'),
            `the window began ${lateAtStart.toFixed(0)} s after its ${countText(during.inserted)} orders came due (${countText(during.inserted)} inserted in ${during.seconds.toFixed(1)} s)`,
          ]
        : [];
      const duringRow = loadRow('pay-during-sweeper', duringLabel, m, { expect: PAY_ACCEPTED, notes });
      return [sweeperRow, controlRow, withControl(duringRow, controlRow)];
    } catch (err) {
      if (err instanceof NotPossible) return na(err.message);
      throw err;
    } finally {
      await jobs.close();
    }
  },
};
