/**
 * Payments in Postgres: the §4 idempotency claim, the order, and the state machine's
 * compare-and-set with its append-only history row in the same statement.
 *
 * Functions that change state take a `Transaction` (their history row and the notify hook must
 * commit with them); reads take `db` or a transaction.
 */
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { result, type Result, type ResultCode } from '../domain/errors.ts';
import type { CurrencyCode, Money } from '../domain/money.ts';
import { CASHIER_TOKEN_PATTERN, hashCashierToken } from '../domain/payments/ids.ts';
import {
  type CorePayment,
  type FinalPayment,
  finalPaymentOf,
  type Payment,
  type PaymentPromoInfo,
  type PaymentStatus,
  type StoredPayRequest,
} from '../domain/payments/payment.ts';
import type {
  CustomerPrecondition,
  NewPayment,
  PayAttempt,
  PayKey,
  PayLookup,
  PaymentQueries,
  PaymentRepos,
  PaymentRepository,
  PayStore,
  StatusChange,
  StoredAnswer,
} from '../domain/payments/ports.ts';
import { isFinal, resultCodeFor, transition } from '../domain/payments/state-machine.ts';
import type { UnitOfWork } from '../domain/ports.ts';
import { customerRepository, toCustomer } from './customers-repository.ts';
import type { Database, PaymentsTable } from './schema.ts';
import { unitOfWork } from './unit-of-work.ts';

type Db = Kysely<Database> | Transaction<Database>;
type PaymentRow = Selectable<PaymentsTable>;

/**
 * Called inside the transaction whenever payments leave PROCESSING for a final status (SUCCESS,
 * FAILED, CLOSED), by every path: the sweeper's batch (up to its batch size at once), a lazy close
 * on read, the cashier, cancelPayment. The notify outbox (§5 notifyPayment, "written in the same
 * transaction") plugs in here; for a batch, one multi-row INSERT keeps the sweeper fast.
 */
export type PaymentFinalHook = (trx: Transaction<Database>, payments: readonly FinalPayment[], now: Date) => Promise<void>;

export interface PaymentHooks {
  readonly onFinal?: PaymentFinalHook;
}

/** The columns every payment answer starts from (toPayment and toFinalPayment map them alike). */
type CoreRow = Pick<
  PaymentRow,
  | 'id'
  | 'psp_id'
  | 'payment_request_id'
  | 'customer_id'
  | 'status'
  | 'result_code'
  | 'payment_currency'
  | 'payment_minor'
  | 'pay_to_currency'
  | 'pay_to_minor'
  | 'payment_time'
>;

/** The columns of a FinalPayment: the two request fields notify needs, not the whole document. */
interface FinalRow extends CoreRow {
  payment_notify_url: string | null;
  payment_promo_info: PaymentPromoInfo | null;
}

const FINAL_COLUMNS = sql.raw(
  'id, psp_id, payment_request_id, customer_id, status, result_code, payment_currency, payment_minor, pay_to_currency, ' +
    "pay_to_minor, payment_time, request->>'paymentNotifyUrl' as payment_notify_url, request->'paymentPromoInfo' as payment_promo_info",
);

const money = (currency: string, valueMinor: bigint): Money => ({ currency: currency.trim() as CurrencyCode, valueMinor });

function toCore(row: CoreRow): CorePayment {
  return {
    paymentId: row.id,
    pspId: row.psp_id,
    paymentRequestId: row.payment_request_id,
    customerId: row.customer_id,
    status: row.status,
    resultCode: row.result_code as ResultCode,
    paymentAmount: money(row.payment_currency, BigInt(row.payment_minor)),
    payToAmount: money(row.pay_to_currency, BigInt(row.pay_to_minor)),
    paymentTime: row.payment_time ?? undefined,
  };
}

export function toPayment(row: PaymentRow): Payment {
  return {
    ...toCore(row),
    surchargeAmount: row.surcharge_currency !== null && row.surcharge_minor !== null ? money(row.surcharge_currency, BigInt(row.surcharge_minor)) : undefined,
    debitAmount: money(row.pay_to_currency, BigInt(row.debit_minor)),
    quote:
      row.quote_pair !== null && row.quote_price !== null
        ? { quoteId: row.quote_id ?? undefined, quoteCurrencyPair: row.quote_pair, quotePrice: row.quote_price }
        : undefined,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    request: row.request as unknown as StoredPayRequest,
  };
}

function toFinalPayment(row: FinalRow): FinalPayment {
  return {
    ...toCore(row),
    paymentNotifyUrl: row.payment_notify_url ?? undefined,
    paymentPromoInfo: row.payment_promo_info ?? undefined,
  };
}

const asDate = (d: Date) => d.toISOString();

export async function findPaymentById(db: Db, paymentId: string): Promise<Payment | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  return row ? toPayment(row) : undefined;
}

export async function findPaymentByRequestId(db: Db, pspId: string, paymentRequestId: string): Promise<Payment | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('psp_id', '=', pspId).where('payment_request_id', '=', paymentRequestId).executeTakeFirst();
  return row ? toPayment(row) : undefined;
}

/** The payment behind a cashier link: the token is hashed, never looked up or stored in clear. */
export async function findByCashierToken(db: Db, token: string): Promise<Payment | undefined> {
  if (!CASHIER_TOKEN_PATTERN.test(token)) return undefined;
  const row = await db.selectFrom('payments').selectAll().where('cashier_token_hash', '=', hashCashierToken(token)).executeTakeFirst();
  return row ? toPayment(row) : undefined;
}

function toStoredAnswer(json: Record<string, unknown> | null): StoredAnswer {
  if (!json || typeof json.resultCode !== 'string') throw new Error('pay request without its answer');
  return {
    result: result(json.resultCode as ResultCode, typeof json.resultMessage === 'string' ? json.resultMessage : undefined),
    paymentUrl: typeof json.paymentUrl === 'string' ? json.paymentUrl : undefined,
  };
}

async function findRefusal(db: Db, pspId: string, paymentRequestId: string): Promise<Result | undefined> {
  const row = await db
    .selectFrom('pay_requests')
    .select(['answer', 'payment_id'])
    .where('psp_id', '=', pspId)
    .where('payment_request_id', '=', paymentRequestId)
    .executeTakeFirst();
  if (!row || row.payment_id !== null || row.answer === null) return undefined;
  return toStoredAnswer(row.answer).result;
}

export function paymentQueries(db: Db): PaymentQueries {
  return {
    findByRequestId: (pspId, paymentRequestId) => findPaymentByRequestId(db, pspId, paymentRequestId),
    findById: (paymentId) => findPaymentById(db, paymentId),
    findByCashierToken: (token) => findByCashierToken(db, token),
    findRefusal: (pspId, paymentRequestId) => findRefusal(db, pspId, paymentRequestId),
  };
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
  if (change.from === 'PROCESSING' && isFinal(to)) await hooks.onFinal?.(trx, [finalPaymentOf(payment)], change.now);
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
 */
export async function closeOverduePayments(trx: Transaction<Database>, now: Date, limit: number, hooks: PaymentHooks = {}): Promise<FinalPayment[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  transition('PROCESSING', 'CLOSED');
  const at = asDate(now);
  const { rows } = await sql<FinalRow>`
    with closed as (
      update payments
         set status = 'CLOSED', result_code = 'ORDER_IS_CLOSED', updated_at = ${at}::timestamptz
       where ctid = any(array(
               select ctid from payments
                where status = 'PROCESSING' and expires_at <= ${at}::timestamptz
                order by expires_at
                limit ${limit}
                  for update skip locked))
         and status = 'PROCESSING'
      returning ${FINAL_COLUMNS}
    ), history as (
      insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
      select id, 'PROCESSING', 'CLOSED', 'ORDER_IS_CLOSED', 'EXPIRED', ${at}::timestamptz from closed
    )
    select * from closed`.execute(trx);
  const payments = rows.map(toFinalPayment);
  if (payments.length > 0) await hooks.onFinal?.(trx, payments, now);
  return payments;
}

function answerJson(answer: StoredAnswer): string {
  return JSON.stringify({ ...answer.result, ...(answer.paymentUrl ? { paymentUrl: answer.paymentUrl } : {}) });
}

/** A payments row (null columns when there is no order) with the claim's and the customer's columns. */
interface PayLookupRow extends Omit<PaymentRow, 'id'> {
  id: string | null;
  claim_request_hash: string | null;
  claim_payment_id: string | null;
  claim_answer: Record<string, unknown> | null;
  customer_row_id: string | null;
  customer_status: Selectable<Database['customers']>['status'] | null;
  customer_currency: string | null;
  customer_created_at: Date | null;
}

/** What the lookup columns say: the key's claim with its order, and the customer. */
function toPayLookup(row: PayLookupRow): PayLookup {
  const customer =
    row.customer_row_id !== null
      ? toCustomer({ id: row.customer_row_id, status: row.customer_status!, currency: row.customer_currency!, created_at: row.customer_created_at! })
      : undefined;
  if (row.claim_request_hash === null) return { claim: undefined, customer };
  return {
    claim: {
      requestHash: row.claim_request_hash,
      paymentId: row.claim_payment_id ?? undefined,
      answer: toStoredAnswer(row.claim_answer),
      payment: row.id !== null ? toPayment(row as PaymentRow) : undefined,
    },
    customer,
  };
}

/** The lookup's columns, for the claim of (psp, request) and the customer (used by both statements below). */
const lookupFrom = (pspId: string, paymentRequestId: string, customerId: string) => sql`
  p.*,
  pr.request_hash as claim_request_hash, pr.payment_id as claim_payment_id, pr.answer as claim_answer,
  c.id as customer_row_id, c.status as customer_status, c.currency as customer_currency, c.created_at as customer_created_at
  from (select 1) as one
  left join pay_requests pr on pr.psp_id = ${pspId} and pr.payment_request_id = ${paymentRequestId}
  left join payments p on p.id = pr.payment_id
  left join customers c on c.id = ${customerId}`;

/** §4 lookup: the claim with its order, and the customer, in one round trip. */
async function lookupPay(db: Db, pspId: string, paymentRequestId: string, customerId: string): Promise<PayLookup> {
  const { rows } = await sql<PayLookupRow>`select ${lookupFrom(pspId, paymentRequestId, customerId)}`.execute(db);
  return toPayLookup(rows[0]!);
}

/** The order `acceptPay` stored, as the payments row reads back (no second read needed). */
function acceptedPayment(p: NewPayment): Payment {
  return {
    paymentId: p.paymentId,
    pspId: p.pspId,
    paymentRequestId: p.paymentRequestId,
    customerId: p.customerId,
    status: 'PROCESSING',
    resultCode: resultCodeFor('PROCESSING'),
    paymentAmount: p.paymentAmount,
    payToAmount: p.payToAmount,
    surchargeAmount: p.surchargeAmount,
    debitAmount: p.debitAmount,
    quote: p.quote,
    paymentTime: undefined,
    expiresAt: p.expiresAt,
    createdAt: p.createdAt,
    request: p.request,
  };
}

/**
 * §4 the accepted order in one statement, which is its own transaction, when the key is new and
 * the customer row is as `customer` says: the idempotency claim (INSERT ... ON CONFLICT DO
 * NOTHING) with the answer, the PROCESSING payment and its creation history row. Otherwise it
 * writes nothing and returns what it saw (the same columns as the lookup, from the statement's
 * snapshot): an earlier claim to replay, or the customer to say why not. A concurrent identical
 * request that claimed first makes the insert wait and then do nothing; it is not in the
 * snapshot, so the caller sees neither and reads again. The foreign key from the claim to the
 * payment is checked at the end of the statement, when both rows exist.
 */
async function acceptPay(db: Db, p: NewPayment, requestHash: string, answer: StoredAnswer, customer: CustomerPrecondition): Promise<PayAttempt> {
  const { rows } = await acceptPayStatement(p, requestHash, answer, customer).execute(db);
  const row = rows[0]!;
  if (row.created_id !== null) return { payment: acceptedPayment(p) };
  return { payment: undefined, seen: toPayLookup(row) };
}

/**
 * acceptPay's one statement, apart from its execution, so that bench/pgbench/pay-statement.ts can
 * measure this very SQL on Postgres alone.
 */
export function acceptPayStatement(p: NewPayment, requestHash: string, answer: StoredAnswer, customer: CustomerPrecondition) {
  const created = asDate(p.createdAt);
  return sql<PayLookupRow & { created_id: string | null }>`
    with claim as (
      insert into pay_requests (psp_id, payment_request_id, request_hash, payment_id, answer, created_at)
      select ${p.pspId}, ${p.paymentRequestId}, ${requestHash}, ${p.paymentId}, ${answerJson(answer)}::jsonb, ${created}::timestamptz
       where not exists (select 1 from pay_requests where psp_id = ${p.pspId} and payment_request_id = ${p.paymentRequestId})
         and exists (select 1 from customers
                      where id = ${p.customerId} and status = ${customer.status} and currency = ${customer.currency}::char(3))
      on conflict (psp_id, payment_request_id) do nothing
      returning payment_id
    ), created as (
      insert into payments (id, psp_id, payment_request_id, customer_id, status, result_code,
                            payment_currency, payment_minor, pay_to_currency, pay_to_minor,
                            surcharge_currency, surcharge_minor, debit_minor, quote_id, quote_pair, quote_price,
                            expires_at, payment_time, cashier_token_hash, request, created_at, updated_at)
      select payment_id, ${p.pspId}, ${p.paymentRequestId}, ${p.customerId}, 'PROCESSING', ${resultCodeFor('PROCESSING')},
             ${p.paymentAmount.currency}, ${p.paymentAmount.valueMinor}, ${p.payToAmount.currency}, ${p.payToAmount.valueMinor},
             ${p.surchargeAmount?.currency ?? null}, ${p.surchargeAmount?.valueMinor ?? null}, ${p.debitAmount.valueMinor},
             ${p.quote?.quoteId ?? null}, ${p.quote?.quoteCurrencyPair ?? null}, ${p.quote?.quotePrice ?? null}::numeric,
             ${asDate(p.expiresAt)}::timestamptz, null, ${p.cashierTokenHash}, ${JSON.stringify(p.request)}::jsonb,
             ${created}::timestamptz, ${created}::timestamptz
        from claim
      returning id, status, result_code, created_at
    ), history as (
      insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
      select id, null, status, result_code, 'ACCEPTED', created_at from created
    )
    select (select id from created) as created_id, ${lookupFrom(p.pspId, p.paymentRequestId, p.customerId)}`;
}

/** §4 a final refusal recorded under the key (no order); false when the key was already claimed. */
async function refusePay(db: Db, key: PayKey, answer: StoredAnswer): Promise<boolean> {
  const { rows } = await sql<{ psp_id: string }>`
    insert into pay_requests (psp_id, payment_request_id, request_hash, payment_id, answer, created_at)
    values (${key.pspId}, ${key.paymentRequestId}, ${key.requestHash}, null, ${answerJson(answer)}::jsonb, ${asDate(key.now)}::timestamptz)
    on conflict (psp_id, payment_request_id) do nothing
    returning psp_id`.execute(db);
  return rows.length === 1;
}

/** The PayStore port on the pool: every write is one statement, so it needs no transaction. */
export function payStore(db: Kysely<Database>): PayStore {
  return {
    lookup: (pspId, paymentRequestId, customerId) => lookupPay(db, pspId, paymentRequestId, customerId),
    accept: (p, requestHash, answer, customer) => acceptPay(db, p, requestHash, answer, customer),
    refuse: (key, answer) => refusePay(db, key, answer),
  };
}

/** The PaymentRepository port bound to one transaction. */
export function paymentRepository(trx: Transaction<Database>, hooks: PaymentHooks = {}): PaymentRepository {
  const status = (from: PaymentStatus, to: PaymentStatus) => ({ from, to });
  return {
    ...paymentQueries(trx),
    transition: (paymentId, change) => transitionPayment(trx, paymentId, change, hooks),
    completePayment: (paymentId, o) =>
      transitionPayment(
        trx,
        paymentId,
        { ...status('PROCESSING', 'SUCCESS'), now: o.now, paymentTime: o.paymentTime ?? o.now, onlyIfOpenAt: o.now, reason: o.reason ?? 'USER_CONFIRMED' },
        hooks,
      ),
    closePayment: (paymentId, o) => transitionPayment(trx, paymentId, { ...status('PROCESSING', 'CLOSED'), now: o.now, reason: o.reason }, hooks),
    cancelPayment: (paymentId, o) => transitionPayment(trx, paymentId, { ...status('SUCCESS', 'CANCELLED'), now: o.now, reason: o.reason }, hooks),
    closeOverdue: (now, limit) => closeOverduePayments(trx, now, limit, hooks),
    async lockPayment(paymentId) {
      const row = await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirst();
      return row ? toPayment(row) : undefined;
    },
  };
}

/** The pay/inquiry unit of work: payments and customers bound to one transaction. */
export function paymentUnitOfWork(db: Kysely<Database>, hooks: PaymentHooks = {}): UnitOfWork<PaymentRepos> {
  return unitOfWork(db, (trx) => ({
    payments: paymentRepository(trx, hooks),
    customers: customerRepository(trx),
  }));
}
