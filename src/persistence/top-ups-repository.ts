/** Issue 16: the audit of ops top-ups (migration 0043): written in the top-up's transaction, read for GET customer. */
import type { Kysely, Transaction } from 'kysely';
import type { CurrencyCode } from '../domain/money.ts';
import type { TopUpAudit, TopUpRecord } from '../domain/wallet/ports.ts';
import type { Database } from './schema.ts';

export function topUpAudit(trx: Transaction<Database> | Kysely<Database>): TopUpAudit {
  return {
    async record(r: TopUpRecord): Promise<void> {
      await trx
        .insertInto('ops_top_ups')
        .values({
          transfer_id: BigInt(r.transferId),
          customer_id: r.customerId,
          currency: r.amount.currency,
          amount_minor: r.amount.valueMinor,
          idempotency_key: r.idempotencyKey,
          actor: r.actor,
          reason: r.reason,
          created_at: r.createdAt,
        })
        .execute();
    },
  };
}

/** The customer's top-ups, newest first, at most `limit`. */
export function topUpHistory(db: Kysely<Database>) {
  return async (customerId: string, limit: number): Promise<TopUpRecord[]> => {
    const rows = await db.selectFrom('ops_top_ups').selectAll().where('customer_id', '=', customerId).orderBy('transfer_id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      transferId: String(r.transfer_id),
      customerId: r.customer_id,
      amount: { currency: r.currency.trim() as CurrencyCode, valueMinor: BigInt(r.amount_minor) },
      idempotencyKey: r.idempotency_key,
      actor: r.actor,
      reason: r.reason,
      createdAt: r.created_at,
    }));
  };
}
