import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// §10 Auto Debit agreements: one row per grant of scope AGREEMENT_PAY, written when applyToken
// issues or refreshes its tokens. Unbinding from our side needs the live access token in clear
// (consultUnbinding and authNotify name it), so it is kept SEALED (AES-256-GCM under a key derived
// from the MPP private key), never in clear; every other token stays a hash only.
//
// The unbinding outbox lives on the same row (one unbinding per agreement at a time):
//   unbind_state  null      bound, nothing asked
//                 CONSULT   the user asked; consultUnbinding is due (retried until answered)
//                 NOTIFY    Alipay+ allowed it and the grant is revoked (same transaction);
//                           authNotify TOKEN_CANCELED is due (retried until answered)
//                 UNBOUND   done
//                 REFUSED   Alipay+ did not allow it (the binding stays; the user may ask again)
// A sender leases a due row (pushes unbind_next_attempt_at, counts the attempt) and records the
// outcome fenced by that attempt number, like notify_outbox.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agreements')
    .addColumn('grant_id', 'text', (c) => c.primaryKey().references('grants.id'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('acquirer_id', 'text', (c) => c.notNull().check(sql`length(acquirer_id) between 1 and 64`))
    .addColumn('auth_client_id', 'text', (c) => c.notNull().check(sql`length(auth_client_id) between 1 and 64`))
    .addColumn('reference_merchant_id', 'text', (c) => c.notNull().check(sql`length(reference_merchant_id) between 1 and 64`))
    .addColumn('access_token_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('unbind_state', 'text', (c) => c.check(sql`unbind_state in ('CONSULT', 'NOTIFY', 'UNBOUND', 'REFUSED')`))
    .addColumn('unbind_requested_at', 'timestamptz')
    .addColumn('unbind_attempts', 'int4', (c) => c.notNull().defaultTo(0))
    .addColumn('unbind_next_attempt_at', 'timestamptz')
    .addColumn('unbind_last_error', 'text')
    .addCheckConstraint('agreements_due_when_pending', sql`(unbind_state in ('CONSULT', 'NOTIFY')) = (unbind_next_attempt_at is not null)`)
    .execute();
  await db.schema.createIndex('agreements_customer').on('agreements').column('customer_id').execute();
  await sql`create index agreements_unbind_due on agreements (unbind_next_attempt_at) where unbind_state in ('CONSULT', 'NOTIFY')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('agreements').execute();
}
