/**
 * The PaymentRepository port (one transaction): the state machine's
 * compare-and-set with its append-only history row in the same statement.
 *
 * Functions that change state take a `Transaction` (their history row and the notify hook must
 * commit with them); reads take `db` or a transaction.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { NotifyOutbox } from '../domain/payments/notify.ts';
import { finalPaymentOf, type Payment, type PaymentStatus } from '../domain/payments/payment.ts';
import type { PaymentRepos, PaymentRepository, StatusChange, SweepBatch, SweepPosition, SweepStretch } from '../domain/payments/ports.ts';
import { isFinal, resultCodeFor, transition } from '../domain/payments/state-machine.ts';
import type { UnitOfWork } from '../domain/ports.ts';
import { customerRepository } from './customers-repository.ts';
import type { Database, Db } from './schema.ts';
import { unitOfWork } from './unit-of-work.ts';
import { type PaymentRow, type FinalRow, FINAL_COLUMNS, toPayment, toFinalPayment, asDate } from './payment-rows.ts';
import { paymentQueries } from './payment-queries.ts';
import { refusePay } from './pay-store.ts';
import { result } from '../domain/errors.ts';

/**
 * Whenever payments leave PROCESSING for a final status (SUCCESS, FAILED, CLOSED), by every path
 * (the sweeper's batch, a lazy close on read, the cashier, cancelPayment), the domain's NotifyOutbox
 * port, bound to the same transaction, queues their §5 notifyPayment ("written in the same
 * transaction"); for a batch, one call keeps the sweeper fast.
 */
export interface PaymentHooks {
  readonly outbox?: (trx: Transaction<Database>) => NotifyOutbox;
}

/**
 * The compare-and-set of the state machine, with its history row, in one statement:
 * `UPDATE payments SET status = $to ... WHERE id = $id AND status = $from RETURNING *`.
 * Returns undefined when the payment was not in `from` (another change won).
 */
export async function transitionPayment(trx: Transaction<Database>, paymentId: string, change: StatusChange, hooks: PaymentHooks = {}): Promise<Payment | undefined> {
  const to = transition(change.from, change.to); // throws on a move the table does not have
  const resultCode = to === 'FAILED' ? resultCodeFor('FAILED', change.failure!) : resultCodeFor(to); // throws without an F failure
  const paymentTime = to === 'SUCCESS' ? (change.paymentTime ?? change.now) : undefined;
  const openAt = change.onlyIfOpenAt ? sql`and expires_at > ${asDate(change.onlyIfOpenAt)}::timestamptz` : sql``;
  const { rows } = await sql<PaymentRow>`
    with changed as (
      update payments
         set status = ${to}, result_code = ${resultCode},
             payment_time = coalesce(${paymentTime ? asDate(paymentTime) : null}::timestamptz, payment_time),
             updated_at = ${asDate(change.now)}::timestamptz
       where id = ${paymentId} and status = ${change.from} ${openAt}
      returning *
    ), history as (
      insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
      select id, ${change.from}::text, ${to}::text, ${resultCode}::text, ${change.reason}::text, ${asDate(change.now)}::timestamptz
        from changed
    )
    select * from changed`.execute(trx);
  const row = rows[0];
  if (!row) return undefined;
  const payment = toPayment(row);
  if (change.from === 'PROCESSING' && isFinal(to)) await hooks.outbox?.(trx).queue([finalPaymentOf(payment)], change.now);
  return payment;
}

/**
 * §4 expiry sweep: one bounded batch. `FOR UPDATE SKIP LOCKED` lets any number of sweepers (and
 * the lazy close on read) run at once: a row another transaction holds is left to it, and the
 * `status = 'PROCESSING'` re-check makes every close a compare-and-set. The history rows are
 * written by the same statement; the final hook runs in the same transaction.
 *
 * The update addresses the locked rows by `ctid` (a row this transaction has locked cannot move
 * before it commits), which spares a primary-key descent per row; a join against the locked ids
 * let the planner hash-join with a scan of every payment on each batch.
 *
 * The walk goes up payments_expiry, (expires_at, id) of every order (migration 0047: an index
 * that named the status would make every close write an entry into each index). `stretch.from` is
 * where the walk starts, so it does not step over every order ever closed (nor over the closed
 * ones of a crowd that expired in the same microsecond: hence the id); `stretch.before`, where it
 * stops (the next batch's start, sweepStarts), so that batches of one run walk disjoint rows.
 * After the batch, a second statement in the same transaction finds the first order still
 * PROCESSING at or after `from` (before or after `before`). It sees this batch's closes as done
 * and the rows another transaction holds as still open, so it never passes an order that is open
 * when the batch commits.
 */
export async function closeOverduePayments(
  trx: Transaction<Database>,
  now: Date,
  limit: number,
  hooks: PaymentHooks = {},
  { from, before }: SweepStretch = {},
): Promise<SweepBatch> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  transition('PROCESSING', 'CLOSED');
  const at = asDate(now);
  const fromHere = walkFrom(from);
  const upTo = before ? sql`and (expires_at, id) < (${before.expiresAt}::timestamptz, ${before.paymentId}::text)` : sql``;
  const { rows } = await sql<FinalRow & { expiry: string }>`
    with closed as (
      update payments
         set status = 'CLOSED', result_code = 'ORDER_IS_CLOSED', updated_at = ${at}::timestamptz
       where ctid = any(array(
               select ctid from payments
                where status = 'PROCESSING' and expires_at <= ${at}::timestamptz ${fromHere} ${upTo}
                order by expires_at, id
                limit ${limit}
                  for update skip locked))
         and status = 'PROCESSING'
      returning ${FINAL_COLUMNS}, ${EXPIRY_POSITION}
    ), history as (
      insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
      select id, 'PROCESSING', 'CLOSED', 'ORDER_IS_CLOSED', 'EXPIRED', ${at}::timestamptz from closed
    )
    select * from closed`.execute(trx);
  const closed = rows.map(toFinalPayment);
  if (closed.length > 0) await hooks.outbox?.(trx).queue(closed, now);
  const open = await sql<{ expiry: string; id: string }>`
    select ${EXPIRY_POSITION}, id
      from payments where status = 'PROCESSING' ${fromHere} order by expires_at, id limit 1`.execute(trx);
  const first = open.rows[0];
  return { closed, firstOpen: first ? positionOf(first) : undefined };
}

/**
 * Where a run's later batches start (the sweeper's pipelinedBatches): the overdue orders still
 * PROCESSING that are number every + 1, 2 × every + 1, ... (at most `count` of them) in the walk
 * from `from`. It reads, locks nothing and writes nothing: the batches that start there lock and
 * re-check each row. One pass up payments_expiry, as the batches' own walks.
 */
export async function overdueStarts(db: Db, now: Date, every: number, count: number, from?: SweepPosition): Promise<SweepPosition[]> {
  if (!Number.isInteger(every) || every < 1 || !Number.isInteger(count) || count < 0) throw new RangeError('every and count must be whole numbers, every at least 1');
  if (count === 0) return [];
  const { rows } = await sql<{ expiry: string; id: string }>`
    select ${EXPIRY_POSITION}, id from (
      select expires_at, id, row_number() over (order by expires_at, id) as n
        from payments
       where status = 'PROCESSING' and expires_at <= ${asDate(now)}::timestamptz ${walkFrom(from)}
       order by expires_at, id
       limit ${every * count + 1}
    ) walk
     where n > 1 and (n - 1) % ${every} = 0
     order by n`.execute(db);
  return rows.map(positionOf);
}

/** The walk's condition for starting at `from` (none: from the first order). */
const walkFrom = (from: SweepPosition | undefined) => (from ? sql`and (expires_at, id) >= (${from.expiresAt}::timestamptz, ${from.paymentId}::text)` : sql``);

/**
 * An order's expiry as a SweepPosition holds it: to the microsecond, UTC, fixed width, so that two
 * positions compare as strings. Not named expires_at: ORDER BY would then sort the text.
 */
const EXPIRY_POSITION = sql.raw(`to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as expiry`);

const positionOf = (row: { expiry: string; id: string }): SweepPosition => ({ expiresAt: row.expiry, paymentId: row.id });

/** The sweeper's saved floor (migration 0047). */
export async function sweepFloor(db: Db): Promise<Date | undefined> {
  const row = await db.selectFrom('expiry_sweep_floor').select('floor').executeTakeFirst();
  return row ? new Date(row.floor) : undefined;
}

/** Saves a sweeper's floor; the saved floor only moves forward (each instance's is a safe bound). */
export async function saveSweepFloor(db: Db, floor: Date): Promise<void> {
  await sql`
    insert into expiry_sweep_floor (floor) values (${asDate(floor)}::timestamptz)
    on conflict (singleton) do update set floor = greatest(expiry_sweep_floor.floor, excluded.floor)`.execute(db);
}

/** The PaymentRepository port bound to one transaction. */
export function paymentRepository(trx: Transaction<Database>, hooks: PaymentHooks = {}): PaymentRepository {
  const status = (from: PaymentStatus, to: PaymentStatus) => ({ from, to });
  return {
    ...paymentQueries(trx),
    completePayment: (paymentId, o) =>
      transitionPayment(
        trx,
        paymentId,
        { ...status('PROCESSING', 'SUCCESS'), now: o.now, paymentTime: o.paymentTime ?? o.now, onlyIfOpenAt: o.now, reason: o.reason ?? 'USER_CONFIRMED' },
        hooks,
      ),
    closePayment: (paymentId, o) => transitionPayment(trx, paymentId, { ...status('PROCESSING', 'CLOSED'), now: o.now, reason: o.reason }, hooks),
    cancelPayment: (paymentId, o) => transitionPayment(trx, paymentId, { ...status('SUCCESS', 'CANCELLED'), now: o.now, reason: o.reason }, hooks),
    closeOverdue: (now, limit, stretch) => closeOverduePayments(trx, now, limit, hooks, stretch),
    sweepStarts: (now, every, count, from) => overdueStarts(trx, now, every, count, from),
    sweepFloor: () => sweepFloor(trx),
    saveSweepFloor: (floor) => saveSweepFloor(trx, floor),
    async lockPayment(paymentId) {
      const row = await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirst();
      return row ? toPayment(row) : undefined;
    },
    // §5 revision 2, cancel before pay: the pay key claimed the way pay claims a refusal.
    recordCancelBeforePay: (key) => refusePay(trx, key, { result: result('ORDER_IS_CLOSED', 'cancelled by cancelPayment before the pay arrived') }),
  };
}

/** The pay/inquiry unit of work: payments and customers bound to one transaction. */
export function paymentUnitOfWork(db: Kysely<Database>, hooks: PaymentHooks = {}): UnitOfWork<PaymentRepos> {
  return unitOfWork(db, (trx) => ({
    payments: paymentRepository(trx, hooks),
    customers: customerRepository(trx),
  }));
}
