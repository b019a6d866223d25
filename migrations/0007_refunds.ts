import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// §5 refund: one row per accepted refund, claimed with INSERT ... ON CONFLICT DO NOTHING on
// (psp_id, refund_request_id) in the same transaction as the ledger transfer that pays it back.
// `request_hash` is the SHA-256 of the key fields (a repeat with other amounts is
// REPEAT_REQ_INCONSISTENT); `answer` is what a repeat replays. Amounts are int8 minor units:
// refund_minor in the payment (order) currency, refund_from_minor in the wallet currency.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`length(id) between 1 and 64`))
    .addColumn('psp_id', 'text', (c) => c.notNull())
    .addColumn('refund_request_id', 'text', (c) => c.notNull().check(sql`length(refund_request_id) between 1 and 64`))
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('refund_minor', 'int8', (c) => c.notNull().check(sql`refund_minor > 0`))
    .addColumn('refund_from_minor', 'int8', (c) => c.notNull().check(sql`refund_from_minor > 0`))
    .addColumn('request_hash', 'text', (c) => c.notNull().check(sql`request_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('answer', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('refunds_psp_request_unique', ['psp_id', 'refund_request_id'])
    .execute();
  await db.schema.createIndex('refunds_payment').on('refunds').column('payment_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('refunds').execute();
}
