/** The PaymentQueries port: payments read by id, by request, by cashier link; recorded refusals. */

import { sql } from 'kysely';
import type { Result } from '../domain/errors.ts';
import { CASHIER_TOKEN_PATTERN, hashCashierToken } from '../domain/payments/ids.ts';
import type { Payment } from '../domain/payments/payment.ts';
import type { PaymentQueries } from '../domain/payments/ports.ts';
import { GROUP_COMMIT, type GroupCommitOptions, groupCommit } from './group-commit.ts';
import type { Db, OrNull } from './schema.ts';
import { type PaymentRow, toPayment, toStoredAnswer } from './payment-rows.ts';

export async function findPaymentById(db: Db, paymentId: string): Promise<Payment | undefined> {
  const row = await db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  return row ? toPayment(row) : undefined;
}

interface RequestKey {
  readonly pspId: string;
  readonly paymentRequestId: string;
}

/** The payments of a batch of (pspId, paymentRequestId) keys in one round trip: one answer per key, in order. */
async function findPaymentsByRequestIds(db: Db, keys: readonly RequestKey[]): Promise<(Payment | undefined)[]> {
  const { rows } = await sql<OrNull<PaymentRow>>`
    select p.*
      from unnest(${keys.map((k) => k.pspId)}::text[], ${keys.map((k) => k.paymentRequestId)}::text[]) with ordinality as i(psp_id, payment_request_id, n)
      left join payments p on p.psp_id = i.psp_id and p.payment_request_id = i.payment_request_id
     order by i.n`.execute(db);
  return rows.map((row) => (row.id !== null ? toPayment(row as PaymentRow) : undefined));
}

/** The payment behind a cashier link: the token is hashed, never looked up or stored in clear. */
export async function findByCashierToken(db: Db, token: string): Promise<Payment | undefined> {
  if (!CASHIER_TOKEN_PATTERN.test(token)) return undefined;
  const row = await db.selectFrom('payments').selectAll().where('cashier_token_hash', '=', hashCashierToken(token)).executeTakeFirst();
  return row ? toPayment(row) : undefined;
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

/** Keyset pagination on (created_at, id) descending, by the index of migration 0031. */
async function listByCustomer(db: Db, customerId: string, o: { limit: number; before?: { createdAt: Date; paymentId: string } | undefined }): Promise<Payment[]> {
  let q = db.selectFrom('payments').selectAll().where('customer_id', '=', customerId);
  if (o.before) {
    const b = o.before;
    q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(b.createdAt, b.paymentId)));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(o.limit).execute();
  return rows.map(toPayment);
}

/**
 * Reads by request share a round trip when they arrive together (group-commit.ts): inquiryPayment
 * is Alipay+'s polling, many at once.
 */
export function paymentQueries(db: Db, options: GroupCommitOptions = GROUP_COMMIT): PaymentQueries {
  const byRequestId = groupCommit('payment_by_request', (keys: readonly RequestKey[]) => findPaymentsByRequestIds(db, keys), options);
  return {
    findByRequestId: (pspId, paymentRequestId) => byRequestId({ pspId, paymentRequestId }),
    findById: (paymentId) => findPaymentById(db, paymentId),
    findByCashierToken: (token) => findByCashierToken(db, token),
    findRefusal: (pspId, paymentRequestId) => findRefusal(db, pspId, paymentRequestId),
    listByCustomer: (customerId, o) => listByCustomer(db, customerId, o),
  };
}
