import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// GET /app/v1/payments: a customer's payments newest first, paged by (created_at, id).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index payments_customer_newest on payments (customer_id, created_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index payments_customer_newest`.execute(db);
}
