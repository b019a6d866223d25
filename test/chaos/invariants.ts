/**
 * What must hold after any fault (issue 9 point 1), read straight from the schema:
 * - no payment lost: every pay the caller was told was accepted (a paymentId came back) has its
 *   order, with that paymentId; no payment duplicated: at most one order per paymentRequestId
 *   (also a unique key) and every answer for one paymentRequestId names the same paymentId;
 * - no double debit: at most one PAYMENT transfer per payment;
 * - the ledger balances: every transfer sums to zero, every balance equals its entries, and the
 *   money inside (wallets + settlement + surcharge) equals the top-ups per currency; every top-up
 *   the caller was told happened (2xx) is there exactly once;
 * - the outbox: one row per final payment, none left pending (checked by the notify scenario).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/persistence/schema.ts';
import { readBooks } from '../support/ledger.ts';
import type { Answer } from './traffic.ts';

export interface Violations {
  readonly lostPayments: string[];
  readonly duplicatedPayments: string[];
  readonly conflictingPaymentIds: string[];
  readonly doubleDebits: string[];
  readonly ledger: string[];
  readonly lostTopUps: string[];
}

export async function checkInvariants(db: Kysely<Database>, answers: readonly Answer[]): Promise<Violations> {
  const orders = await db.selectFrom('payments').select(['id', 'payment_request_id']).execute();
  const byRequest = new Map<string, string[]>();
  for (const o of orders) byRequest.set(o.payment_request_id, [...(byRequest.get(o.payment_request_id) ?? []), o.id]);

  const told = new Map<string, Set<string>>();
  for (const a of answers) {
    if (a.kind === 'topup' || !a.paymentId) continue;
    told.set(a.key, (told.get(a.key) ?? new Set()).add(a.paymentId));
  }
  const lostPayments: string[] = [];
  const conflictingPaymentIds: string[] = [];
  for (const [requestId, ids] of told) {
    const stored = byRequest.get(requestId) ?? [];
    if (ids.size > 1) conflictingPaymentIds.push(`${requestId}: answered ${[...ids].join(', ')}`);
    for (const id of ids) if (!stored.includes(id)) lostPayments.push(`${requestId}: answered ${id}, stored ${stored.join(', ') || 'nothing'}`);
  }
  const duplicatedPayments = [...byRequest].filter(([, ids]) => ids.length > 1).map(([r, ids]) => `${r}: ${ids.join(', ')}`);

  const doubles = await sql<{ payment_id: string; n: bigint }>`
    select payment_id, count(*)::int8 as n from ledger_transfers
     where kind = 'PAYMENT' group by payment_id having count(*) > 1`.execute(db);
  const doubleDebits = doubles.rows.map((r) => `${r.payment_id}: ${r.n} PAYMENT transfers`);

  const books = await readBooks(db);
  const ledger: string[] = [
    ...books.unbalanced.map((t) => `transfer ${t} does not sum to zero`),
    ...books.drifted.map((a) => `account ${a} balance differs from its entries`),
    ...books.negativeWallets.map((a) => `wallet ${a} is negative`),
  ];
  const currencies = new Set([...books.byKind.keys()].map((k) => k.split('/')[0]!.trim()));
  for (const c of currencies) {
    const inside = ['CUSTOMER_WALLET', 'SETTLEMENT', 'SURCHARGE'].reduce((s, k) => s + (books.byKind.get(`${c}/${k}`) ?? 0n), 0n);
    const topUps = books.topUps.get(c) ?? 0n;
    if (inside !== topUps) ledger.push(`${c}: wallets + settlement + surcharge = ${inside}, top-ups = ${topUps}`);
  }

  const transfers = await db.selectFrom('ledger_transfers').select('idempotency_key').where('kind', '=', 'TOP_UP').execute();
  const keys = transfers.map((t) => t.idempotency_key);
  const lostTopUps: string[] = [];
  for (const a of answers) {
    if (a.kind !== 'topup' || a.httpStatus < 200 || a.httpStatus >= 300) continue;
    const n = keys.filter((k) => k.endsWith(a.key)).length;
    if (n !== 1) lostTopUps.push(`${a.key}: acknowledged, ${n} transfers`);
  }
  return { lostPayments: [...new Set(lostPayments)], duplicatedPayments, conflictingPaymentIds, doubleDebits, ledger, lostTopUps: [...new Set(lostTopUps)] };
}

export const NO_VIOLATIONS: Violations = {
  lostPayments: [],
  duplicatedPayments: [],
  conflictingPaymentIds: [],
  doubleDebits: [],
  ledger: [],
  lostTopUps: [],
};

export interface OutboxState {
  readonly finalPayments: number;
  readonly rows: number;
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  /** Final payments without an outbox row (a lost notification). */
  readonly missing: string[];
}

export async function outboxState(db: Kysely<Database>): Promise<OutboxState> {
  const r = await sql<{ final_payments: bigint; rows: bigint; pending: bigint; delivered: bigint; failed: bigint }>`
    select (select count(*) from payments where status in ('SUCCESS', 'FAILED', 'CLOSED'))::int8 as final_payments,
           (select count(*) from notify_outbox)::int8 as rows,
           (select count(*) from notify_outbox where delivered_at is null and failed_at is null)::int8 as pending,
           (select count(*) from notify_outbox where delivered_at is not null)::int8 as delivered,
           (select count(*) from notify_outbox where failed_at is not null)::int8 as failed`.execute(db);
  const missing = await sql<{ id: string }>`
    select p.id from payments p left join notify_outbox n on n.payment_id = p.id
     where p.status in ('SUCCESS', 'FAILED', 'CLOSED') and n.id is null`.execute(db);
  const row = r.rows[0]!;
  return {
    finalPayments: Number(row.final_payments),
    rows: Number(row.rows),
    pending: Number(row.pending),
    delivered: Number(row.delivered),
    failed: Number(row.failed),
    missing: missing.rows.map((m) => m.id),
  };
}
