/**
 * §4 expiry sweeper: closes every PROCESSING order whose expiry (paymentExpiryTime, else
 * ORDER_EXPIRY_SECONDS after acceptance) is at or before `now`, as CLOSED with F ORDER_IS_CLOSED.
 * Each batch is bounded and has its own transaction (FOR UPDATE SKIP LOCKED: any number of
 * instances may sweep at once, each order is closed exactly once); a run is up to SWEEP_PIPELINE
 * batches side by side, over disjoint stretches of the walk (pipelinedBatches). The loop
 * (loop.ts) calls runOnce again at once while a run did some work. The notify outbox joins each
 * batch's transaction through the repository's NotifyOutbox port.
 *
 * Where each batch starts (the floors): a batch walks the orders by expiry from a floor, the first
 * order that may still be open, not from the first order ever made. A batch's transaction finds
 * the first order still PROCESSING after its closes (rows another transaction holds count as
 * open), and the next batch starts there. That is enough for every order committed before the
 * floor was found. One committed later can lie below it only if it had expired before it was
 * committed, since an order is accepted only with an expiry after its acceptance time (§4,
 * "expiry time not already past"): an acceptance slow to commit, or an instance whose clock is
 * behind this one's. So every SWEEP_RECHECK_MS one batch starts from the trailing floor instead,
 * which stays SWEEP_FLOOR_LAG_MS below `now`; it closes such late orders and lowers the floor to
 * them. An order committed later still than the lag after its expiry (none is expected) still
 * cannot be paid after its expiry, and any read of it closes it (the lazy close); the sweeper would
 * not. The trailing floor is saved now and then (any instance's is a safe bound, so the saved one
 * only moves up), so that a restarted sweeper does not walk every order ever closed.
 *
 * Live traffic first: while other sessions have been running statements (any of the last
 * SWEEP_LOAD_SAMPLES looks at the database, one after each run), the sweeper rests SWEEP_NICE_RATIO
 * times as long as its run took before it returns, so it takes at most a fifth of the time it
 * would alone. gh-ost paces its row copy the same way (--nice-ratio, with --max-load's check of
 * the database's running threads). Expiry needs no haste: the cashier refuses to pay an order
 * past its expiry, and any read closes it (the lazy close); the sweeper is what notifies. But it
 * must keep up: once the first open order is more than SWEEP_MAX_LATENESS_MS past its expiry, it
 * sweeps at full speed whatever the load, so a notification is never later than that for long.
 */
import { type PaymentRepos, type SweepBatch, type SweepPosition, type SweepStretch, sweepsBefore } from '../domain/payments/ports.ts';
import type { DatabaseLoad, UnitOfWork } from '../domain/ports.ts';
import type { Job } from './loop.ts';

export const DEFAULT_SWEEP_BATCH = 500;
/** How far below `now` the trailing floor stays: clock skew between instances plus an acceptance's commit time, with room to spare. */
export const SWEEP_FLOOR_LAG_MS = 60_000;
/** How often (by the job's clock) a batch starts from the trailing floor. */
export const SWEEP_RECHECK_MS = 10_000;

/**
 * At most this many batches a run, side by side over disjoint stretches of the walk
 * (pipelinedBatches). Two, not four: alternated partial runs (docs/performance.md, the seventeenth
 * round) closed as many orders a second alone with two (28,844 to 30,356) as with four (29,773),
 * and pay's p99 while the sweeper ran was −9 to +12 % with two against +14 to +76 % with four.
 */
export const SWEEP_PIPELINE = 2;

/** While the database serves others, the sweeper rests this many times as long as each batch took. */
export const SWEEP_NICE_RATIO = 4;
/**
 * While the database serves others, a batch closes at most this many orders. A batch holds a
 * backend and a share of the cores for as long as it runs, and the live requests that wait behind
 * it make their p99: a batch of 500 took 40 to 50 ms under the bench's pay load. Measured with the
 * bench's pay load (docs/performance.md, the eleventh round): pay's p99 +103 % on the control with
 * batches of 500 while giving way, +40 % with batches of 100.
 */
export const SWEEP_GIVE_WAY_BATCH = 100;
/**
 * How many of the latest looks at the database's load count (one after each run). A look sees a
 * statement running at one instant: under the bench's full pay load one look in five did (the
 * service's statements are short and its work is mostly in Node), so five looks all missed it a
 * third of the time, and the sweeper then ran at full speed through the live traffic. Twenty miss
 * it about one time in a hundred.
 */
export const SWEEP_LOAD_SAMPLES = 20;
/** Once the first open order is this far past its expiry, the sweeper no longer rests: it has fallen behind. */
export const SWEEP_MAX_LATENESS_MS = 60_000;

export interface SweeperDeps {
  readonly uow: UnitOfWork<Pick<PaymentRepos, 'payments'>>;
  readonly batchSize?: number;
  /** The batch size while giving way to live traffic (default SWEEP_GIVE_WAY_BATCH, never above batchSize). */
  readonly giveWayBatchSize?: number;
  /** At most this many batches a run, side by side (default SWEEP_PIPELINE; 1: one batch a run). */
  readonly pipeline?: number;
  /** Without it the sweeper never rests (the tests' and the benches' bare sweeper). */
  readonly load?: DatabaseLoad;
  readonly rest?: (ms: number) => Promise<void>;
}

const restFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

export function expirySweeper(deps: SweeperDeps): Job {
  const batchSize = deps.batchSize ?? DEFAULT_SWEEP_BATCH;
  const giveWayBatchSize = Math.min(batchSize, deps.giveWayBatchSize ?? SWEEP_GIVE_WAY_BATCH);
  const depth = deps.pipeline ?? SWEEP_PIPELINE;
  const rest = deps.rest ?? restFor;
  let looksSinceBusy = Number.POSITIVE_INFINITY; // 0: the last look found the service busy
  let givingWay = false; // the last run rested: this one is a single batch
  let loaded = false;
  let floor: SweepPosition | undefined; // where batches start
  let trailing: SweepPosition | undefined; // where a recheck starts
  let recheckedAt = Number.NEGATIVE_INFINITY;
  let savedFloor = Number.NEGATIVE_INFINITY; // the expiry (ms) of the floor last saved
  return {
    name: 'expiry-sweeper',
    async runOnce(now: Date): Promise<number> {
      if (!loaded) {
        const saved = await deps.uow.run(({ payments }) => payments.sweepFloor());
        trailing = saved ? at(saved.getTime()) : undefined;
        savedFloor = saved?.getTime() ?? Number.NEGATIVE_INFINITY;
        loaded = true;
      }
      const t = now.getTime();
      if (after(floor, t) || after(trailing, t - SWEEP_FLOOR_LAG_MS)) {
        // The clock went back (or the saved floor came from a clock ahead of this one): orders
        // accepted since may expire below either floor, so this run walks from the first order.
        floor = trailing = undefined;
        recheckedAt = Number.NEGATIVE_INFINITY;
      }
      const recheck = t - recheckedAt >= SWEEP_RECHECK_MS;
      const started = performance.now();
      // While giving way, one small batch at a time: side-by-side batches are for catching up on an
      // idle database, and would double the sweeper's draw on a busy one while it runs.
      const shape = givingWay ? { batchSize: giveWayBatchSize, depth: 1 } : { batchSize, depth };
      const batch = await pipelinedBatches(deps.uow, now, shape, recheck ? trailing : floor);
      // No order before where this run started is open, and the first open one is at or after it,
      // so that one is the next floor, capped at `now` (an order accepted now may expire before the
      // first open one) and, for the trailing floor, at `now` minus the lag.
      floor = below(batch.firstOpen ?? at(t), t);
      if (recheck) {
        trailing = below(batch.firstOpen ?? at(t), t - SWEEP_FLOOR_LAG_MS);
        recheckedAt = t;
      }
      const keep = trailing ? Date.parse(trailing.expiresAt) : Number.NEGATIVE_INFINITY;
      if (keep > savedFloor) {
        await deps.uow.run(({ payments }) => payments.saveSweepFloor(new Date(keep)));
        savedFloor = keep;
      }
      if (deps.load && batch.closed.length > 0) {
        const took = performance.now() - started;
        looksSinceBusy = (await deps.load.othersActive()) > 0 ? 0 : looksSinceBusy + 1;
        const behind = batch.firstOpen !== undefined && t - Date.parse(batch.firstOpen.expiresAt) > SWEEP_MAX_LATENESS_MS;
        givingWay = looksSinceBusy < SWEEP_LOAD_SAMPLES && !behind;
        if (givingWay) await rest(took * SWEEP_NICE_RATIO);
      }
      return batch.closed.length;
    },
  };
}

/**
 * One run's batches, up to `depth` (SWEEP_PIPELINE) of them, all at once, each in a transaction
 * and on a connection of its own. One read first finds where each starts (sweepStarts: every
 * `batchSize`-th overdue order from `from`), so each batch closes the stretch up to the next one's
 * start and the batches walk disjoint rows. Their updates then run side by side in Postgres, where
 * each batch starting at the last close of the one before ran them one after the other: a close's
 * Postgres time was the sweeper's wall time (docs/performance.md, the seventeenth round).
 *
 * The first open order of the run: the first batch's first open order that lies in its own
 * stretch (an order there was left open: held by another transaction, or committed after the
 * starts were read); when there is none, the last batch's, whose walk began where the stretches
 * before it, all closed, end.
 */
async function pipelinedBatches(
  uow: SweeperDeps['uow'],
  now: Date,
  { batchSize, depth }: { batchSize: number; depth: number },
  from: SweepPosition | undefined,
): Promise<SweepBatch> {
  const starts = depth > 1 ? await uow.run(({ payments }) => payments.sweepStarts(now, batchSize, depth - 1, from)) : [];
  const stretches: SweepStretch[] = [from, ...starts].map((start, i) => ({ from: start, before: starts[i] }));
  // Every batch settles before the run ends, even when one fails: the next run never races a
  // batch still in flight.
  const settled = await Promise.allSettled(stretches.map((stretch) => uow.run(({ payments }) => payments.closeOverdue(now, batchSize, stretch))));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const batches = settled.map((s) => (s as PromiseFulfilledResult<SweepBatch>).value);
  const leftOpen = batches.find((b, i) => {
    const end = stretches[i]!.before;
    return b.firstOpen !== undefined && end !== undefined && sweepsBefore(b.firstOpen, end);
  });
  const last = batches[batches.length - 1]!;
  return {
    closed: batches.flatMap((b) => b.closed),
    firstOpen: leftOpen ? leftOpen.firstOpen : last.firstOpen,
  };
}

const at = (ms: number): SweepPosition => ({ expiresAt: new Date(ms).toISOString(), paymentId: '' });

const after = (p: SweepPosition | undefined, cap: number) => p !== undefined && Date.parse(p.expiresAt) > cap;

/** The position, or `cap` when the position lies after it. */
function below(p: SweepPosition, cap: number): SweepPosition {
  return Date.parse(p.expiresAt) <= cap ? p : at(cap);
}
