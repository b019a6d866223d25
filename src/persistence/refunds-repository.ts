/** §5 refund claims (migration 0007): INSERT ... ON CONFLICT DO NOTHING in the refund's transaction. */
import { sql, type Transaction } from 'kysely';
import type { RefundAnswer, RefundRepository } from '../domain/refunds/refund.ts';
import type { Database } from './schema.ts';

function toAnswer(json: Record<string, unknown>): RefundAnswer {
  if (typeof json.refundId !== 'string' || typeof json.refundTime !== 'string') throw new Error('refund without its answer');
  return { refundId: json.refundId, refundTime: new Date(json.refundTime) };
}

export function refundRepository(trx: Transaction<Database>): RefundRepository {
  return {
    async claim(r) {
      const row = await trx
        .insertInto('refunds')
        .values({
          id: r.refundId,
          psp_id: r.pspId,
          refund_request_id: r.refundRequestId,
          payment_id: r.paymentId,
          refund_minor: r.refundAmount.valueMinor,
          refund_from_minor: r.refundFromAmount.valueMinor,
          request_hash: r.requestHash,
          answer: JSON.stringify({ refundId: r.answer.refundId, refundTime: r.answer.refundTime.toISOString() }),
          created_at: r.at,
        })
        .onConflict((oc) => oc.columns(['psp_id', 'refund_request_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },
    async find(pspId, refundRequestId) {
      const row = await trx
        .selectFrom('refunds')
        .select(['request_hash', 'answer'])
        .where('psp_id', '=', pspId)
        .where('refund_request_id', '=', refundRequestId)
        .executeTakeFirst();
      return row ? { requestHash: row.request_hash, answer: toAnswer(row.answer) } : undefined;
    },
    async totalRefunded(paymentId) {
      const row = await trx
        .selectFrom('refunds')
        .select(sql<bigint>`coalesce(sum(refund_minor), 0)::int8`.as('total'))
        .where('payment_id', '=', paymentId)
        .executeTakeFirstOrThrow();
      return BigInt(row.total);
    },
  };
}
