import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// Money is int8 minor units with its currency beside it; the rate is numeric (kept as a string).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('psp_id', 'text', (c) => c.notNull())
    .addColumn('payment_request_id', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('PROCESSING', 'SUCCESS', 'FAILED', 'CLOSED', 'CANCELLED')`),
    )
    .addColumn('result_code', 'text', (c) => c.notNull())
    .addColumn('payment_currency', 'char(3)', (c) => c.notNull())
    .addColumn('payment_minor', 'int8', (c) => c.notNull().check(sql`payment_minor >= 0`))
    .addColumn('pay_to_currency', 'char(3)', (c) => c.notNull())
    .addColumn('pay_to_minor', 'int8', (c) => c.notNull().check(sql`pay_to_minor >= 0`))
    .addColumn('surcharge_currency', 'char(3)')
    .addColumn('surcharge_minor', 'int8', (c) => c.check(sql`surcharge_minor >= 0`))
    .addColumn('quote_id', 'text')
    .addColumn('quote_pair', 'text')
    .addColumn('quote_price', 'numeric')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('payment_time', 'timestamptz')
    .addColumn('cashier_token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('request', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('payments_psp_request_unique', ['psp_id', 'payment_request_id'])
    .execute();
  // The sweeper's scan: only open orders, by expiry.
  await sql`create index payments_processing_expiry on payments (expires_at) where status = 'PROCESSING'`.execute(db);

  await db.schema
    .createTable('payment_status_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('result_code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('payment_status_history_payment').on('payment_status_history').column('payment_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('payment_status_history').execute();
  await db.schema.dropTable('payments').execute();
}
