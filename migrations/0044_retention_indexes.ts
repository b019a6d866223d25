import { sql, type Kysely } from 'kysely';

// Frozen in time: never import app code here.
//
// Issue 16: the retention job finds what it may delete by age, in bounded batches; these partial
// indexes keep each batch's lookup small however large the tables grow.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index notify_outbox_delivered on notify_outbox (delivered_at) where delivered_at is not null`.execute(db);
  await sql`create index auth_codes_expires on auth_codes (expires_at)`.execute(db);
  await sql`create index access_tokens_expires on access_tokens (expires_at)`.execute(db);
  await sql`create index grants_refresh_expires on grants (refresh_expires_at)`.execute(db);
  await sql`create index grants_revoked on grants (revoked_at) where revoked_at is not null`.execute(db);
  await sql`create index payments_with_env on payments (created_at) where request->'order' ? 'env' and status <> 'PROCESSING'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of ['notify_outbox_delivered', 'auth_codes_expires', 'access_tokens_expires', 'grants_refresh_expires', 'grants_revoked', 'payments_with_env']) {
    await sql`drop index if exists ${sql.raw(name)}`.execute(db);
  }
}
