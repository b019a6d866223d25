/**
 * The PayStore port (§4): the idempotency claim and the order in one statement, and a refusal
 * recorded under the key. The order's creation needs no history row: the payments row records it
 * (payment_status_log shows it with the later changes; migration 0041). Every write is one statement on the pool.
 * The orders that arrive together are accepted together: one statement, one commit, for all of
 * them (group commit, group-commit.ts), each caller getting its own order's outcome.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Payment } from '../domain/payments/payment.ts';
import type { CustomerPrecondition, NewPayment, PayAttempt, PayKey, PayLookup, PayStore, StoredAnswer } from '../domain/payments/ports.ts';
import { resultCodeFor } from '../domain/payments/state-machine.ts';
import { toCustomer } from './customers-repository.ts';
import { GROUP_COMMIT, type GroupCommitOptions, groupCommit } from './group-commit.ts';
import type { Db, Database } from './schema.ts';
import { type PaymentRow, toPayment, asDate, toStoredAnswer } from './payment-rows.ts';

/** The stored answer as the claim row keeps it (with the cashier link, when there is one). */
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

/** The lookup's columns: the key's claim with its order (null columns when none), and the customer. */
const LOOKUP_COLUMNS = sql`
  p.*,
  pr.request_hash as claim_request_hash, pr.payment_id as claim_payment_id, pr.answer as claim_answer,
  c.id as customer_row_id, c.status as customer_status, c.currency as customer_currency, c.created_at as customer_created_at`;

/** The lookup's joins, for each row of `i` (psp_id, payment_request_id, customer_id). */
const LOOKUP_JOINS = sql`
  left join pay_requests pr on pr.psp_id = i.psp_id and pr.payment_request_id = i.payment_request_id
  left join payments p on p.id = pr.payment_id
  left join customers c on c.id = i.customer_id`;

/** A key to look up: what `PayStore.lookup` takes. */
interface PayLookupKey {
  readonly pspId: string;
  readonly paymentRequestId: string;
  readonly customerId: string;
}

/** §4 lookup of a batch of keys in one round trip: for each, the claim with its order, and the customer. */
async function lookupPayBatch(db: Db, keys: readonly PayLookupKey[]): Promise<PayLookup[]> {
  const { rows } = await sql<PayLookupRow>`
    select ${LOOKUP_COLUMNS}
      from unnest(${keys.map((k) => k.pspId)}::text[], ${keys.map((k) => k.paymentRequestId)}::text[], ${keys.map((k) => k.customerId)}::text[])
           with ordinality as i(psp_id, payment_request_id, customer_id, n)
      ${LOOKUP_JOINS}
     order by i.n`.execute(db);
  return rows.map(toPayLookup);
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

/** One order for `acceptPayBatch`: what `PayStore.accept` takes. */
export interface OrderToAccept {
  readonly payment: NewPayment;
  readonly requestHash: string;
  readonly answer: StoredAnswer;
  readonly customer: CustomerPrecondition;
}

/**
 * §4 the accepted orders of a batch in one statement, which is one transaction (see
 * group-commit.ts). For each order whose key is new and whose customer row is as `customer` says:
 * the idempotency claim (INSERT ... ON CONFLICT DO NOTHING) with the answer, and the PROCESSING
 * payment, whose row records its own creation (no history row). For any other order it writes
 * nothing and returns what it saw (the same columns as the lookup, from the statement's snapshot):
 * an earlier claim to replay, or the customer to say why not. A concurrent identical request that
 * claimed first, in another statement or earlier in this one, makes the insert do nothing; it is
 * not in the snapshot, so the caller sees neither and reads again. The foreign key from the claim
 * to the payment is checked at the end of the statement, when both rows exist.
 */
async function acceptPayBatch(db: Db, orders: readonly OrderToAccept[]): Promise<PayAttempt[]> {
  const { rows } = await acceptPayStatement(orders).execute(db);
  if (rows.length !== orders.length) throw new Error(`accepted ${orders.length} orders, read back ${rows.length}`);
  return rows.map((row, i) => (row.created_id !== null ? { payment: acceptedPayment(orders[i]!.payment) } : { payment: undefined, seen: toPayLookup(row) }));
}

/** One array parameter: the column of every order, typed by the cast after it. */
const column = <T>(orders: readonly OrderToAccept[], pick: (o: OrderToAccept) => T) => orders.map(pick);

/**
 * The order columns of an accepting statement's `input` (this one's and the synchronous pay's,
 * sync-pay-store.ts): one array parameter per column for `unnest(...)`, named by ORDER_COLUMNS in
 * the same order.
 */
export function orderArrays(orders: readonly OrderToAccept[]) {
  const p = (pick: (n: NewPayment) => unknown) => column(orders, (o) => pick(o.payment));
  return sql`
        ${p((n) => n.pspId)}::text[], ${p((n) => n.paymentRequestId)}::text[], ${column(orders, (o) => o.requestHash)}::text[],
        ${p((n) => n.paymentId)}::text[], ${column(orders, (o) => answerJson(o.answer))}::jsonb[], ${p((n) => asDate(n.createdAt))}::timestamptz[],
        ${p((n) => n.customerId)}::text[], ${column(orders, (o) => o.customer.status)}::text[], ${column(orders, (o) => o.customer.currency)}::text[],
        ${p((n) => n.paymentAmount.currency)}::text[], ${p((n) => n.paymentAmount.valueMinor)}::bigint[],
        ${p((n) => n.payToAmount.currency)}::text[], ${p((n) => n.payToAmount.valueMinor)}::bigint[],
        ${p((n) => n.surchargeAmount?.currency ?? null)}::text[], ${p((n) => n.surchargeAmount?.valueMinor ?? null)}::bigint[],
        ${p((n) => n.debitAmount.valueMinor)}::bigint[],
        ${p((n) => n.quote?.quoteId ?? null)}::text[], ${p((n) => n.quote?.quoteCurrencyPair ?? null)}::text[], ${p((n) => n.quote?.quotePrice ?? null)}::numeric[],
        ${p((n) => asDate(n.expiresAt))}::timestamptz[], ${p((n) => n.cashierTokenHash)}::text[], ${p((n) => JSON.stringify(n.request))}::jsonb[]`;
}

/** The names of orderArrays's columns, in its order. */
export const ORDER_COLUMNS = sql.raw(`psp_id, payment_request_id, request_hash, payment_id, answer, created_at,
                             customer_id, customer_status, customer_currency, payment_currency, payment_minor,
                             pay_to_currency, pay_to_minor, surcharge_currency, surcharge_minor, debit_minor,
                             quote_id, quote_pair, quote_price, expires_at, cashier_token_hash, request`);

/**
 * The CTE `claim` of an accepting statement: for each order of `input` whose key is new and whose
 * customer row is as the order requires, the idempotency claim with its answer, in key order (two
 * batches that share keys wait for each other in one order and do not deadlock; a key twice in one
 * batch goes in arrival order, so the first wins). Returns the claimed orders' payment_id.
 */
export const CLAIM_CTE = sql`
    claim as (
      insert into pay_requests (psp_id, payment_request_id, request_hash, payment_id, answer, created_at)
      select i.psp_id, i.payment_request_id, i.request_hash, i.payment_id, i.answer, i.created_at
        from input i
       where not exists (select 1 from pay_requests pr where pr.psp_id = i.psp_id and pr.payment_request_id = i.payment_request_id)
         and exists (select 1 from customers c
                      where c.id = i.customer_id and c.status = i.customer_status and c.currency = i.customer_currency::char(3))
       order by i.psp_id, i.payment_request_id, i.n
      on conflict (psp_id, payment_request_id) do nothing
      returning payment_id
    )`;

/**
 * acceptPayBatch's one statement, apart from its execution, so that bench/pgbench/pay-statement.ts
 * can measure this very SQL on Postgres alone. The orders go as one array parameter per column, so
 * the text is the same for any number of orders and is prepared once per connection (CLAIM_CTE
 * says in which order the claims go).
 */
export function acceptPayStatement(orders: readonly OrderToAccept[]) {
  return sql<PayLookupRow & { created_id: string | null }>`
    with input as (
      select * from unnest(${orderArrays(orders)}) with ordinality as i(${ORDER_COLUMNS}, n)
    ), ${CLAIM_CTE}, created as (
      insert into payments (id, psp_id, payment_request_id, customer_id, status, result_code,
                            payment_currency, payment_minor, pay_to_currency, pay_to_minor,
                            surcharge_currency, surcharge_minor, debit_minor, quote_id, quote_pair, quote_price,
                            expires_at, payment_time, cashier_token_hash, request, created_at, updated_at)
      select i.payment_id, i.psp_id, i.payment_request_id, i.customer_id, 'PROCESSING', ${resultCodeFor('PROCESSING')},
             i.payment_currency, i.payment_minor, i.pay_to_currency, i.pay_to_minor,
             i.surcharge_currency, i.surcharge_minor, i.debit_minor, i.quote_id, i.quote_pair, i.quote_price,
             i.expires_at, null, i.cashier_token_hash, i.request, i.created_at, i.created_at
        from claim join input i on i.payment_id = claim.payment_id
      returning id
    )
    select created.id as created_id, ${LOOKUP_COLUMNS}
      from input i
      left join created on created.id = i.payment_id
      ${LOOKUP_JOINS}
     order by i.n`;
}

/** §4 a final refusal recorded under the key (no order); false when the key was already claimed. */
export async function refusePay(db: Db, key: PayKey, answer: StoredAnswer): Promise<boolean> {
  const { rows } = await sql<{ psp_id: string }>`
    insert into pay_requests (psp_id, payment_request_id, request_hash, payment_id, answer, created_at)
    values (${key.pspId}, ${key.paymentRequestId}, ${key.requestHash}, null, ${answerJson(answer)}::jsonb, ${asDate(key.now)}::timestamptz)
    on conflict (psp_id, payment_request_id) do nothing
    returning psp_id`.execute(db);
  return rows.length === 1;
}

/**
 * The PayStore port on the pool: every write is one statement, so it needs no transaction. Pays
 * accepted at once, and lookups made at once, share a statement (group-commit.ts).
 */
export function payStore(db: Kysely<Database>, options: GroupCommitOptions = GROUP_COMMIT): PayStore {
  const accept = groupCommit('pay_accept', (orders: readonly OrderToAccept[]) => acceptPayBatch(db, orders), options);
  const lookup = groupCommit('pay_lookup', (keys: readonly PayLookupKey[]) => lookupPayBatch(db, keys), options);
  return {
    lookup: (pspId, paymentRequestId, customerId) => lookup({ pspId, paymentRequestId, customerId }),
    accept: (payment, requestHash, answer, customer) => accept({ payment, requestHash, answer, customer }),
    refuse: (key, answer) => refusePay(db, key, answer),
  };
}
