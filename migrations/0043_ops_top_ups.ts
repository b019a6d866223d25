import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// Issue 16: who created money, and why. One row per ops top-up, written in the same transaction
// as its ledger transfer (never for a replay): the ops token's label, the reason given, the
// caller's Idempotency-Key, and the amount in int8 minor units. The ledger stays the record of the
// money; this is the record of the decision. Append-only like the ledger.
// Single-column rules use 0040's domains where one says the same thing (currency, positive minor
// units, a reason of 1..256, a label of 1..64); the Idempotency-Key's 1..128 has no domain.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ops_top_ups')
    .addColumn('transfer_id', 'int8', (c) => c.primaryKey().references('ledger_transfers.id'))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('currency', sql`mpp_currency`, (c) => c.notNull())
    .addColumn('amount_minor', sql`mpp_positive_minor`, (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().check(sql`length(idempotency_key) between 1 and 128`))
    .addColumn('actor', sql`mpp_id64`, (c) => c.notNull())
    .addColumn('reason', sql`mpp_reason`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index ops_top_ups_customer on ops_top_ups (customer_id, transfer_id desc)`.execute(db);
  await sql`
    create function ops_top_ups_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'ops_top_ups is append-only';
    end $$`.execute(db);
  await sql`
    create trigger ops_top_ups_append_only before update or delete on ops_top_ups
    for each row execute function ops_top_ups_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ops_top_ups').execute();
  await sql`drop function if exists ops_top_ups_append_only()`.execute(db);
}
