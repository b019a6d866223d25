/**
 * The PayStore port (§4): the idempotency claim, the order and its history row in one statement,
 * and a refusal recorded under the key. Every write is one statement on the pool.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Payment } from '../domain/payments/payment.ts';
import type { CustomerPrecondition, NewPayment, PayAttempt, PayKey, PayLookup, PayStore, StoredAnswer } from '../domain/payments/ports.ts';
import { resultCodeFor } from '../domain/payments/state-machine.ts';
import { toCustomer } from './customers-repository.ts';
import type { Db, Database } from './schema.ts';
import { type PaymentRow, toPayment, asDate, toStoredAnswer } from './payment-rows.ts';

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
