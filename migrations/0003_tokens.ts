import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// §3 token issuance. Secrets (auth codes, access and refresh tokens) are stored only as SHA-256
// hex digests; the plain values exist only in the answer that hands them out.
//
//   auth_codes     one per getAuthCode; single use (used_at set by one compare-and-set UPDATE)
//   grants         one per authorization (an auth code exchanged, unique): customer, scopes, the
//                  refresh token and its fixed expiry (no rotation); revoked_at ends it, and with
//                  it every access token issued under it
//   access_tokens  every access token issued under a grant (the first, then one per refresh)

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auth_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey().check(sql`code_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('scopes', sql`text[]`, (c) => c.notNull().check(sql`cardinality(scopes) between 1 and 16`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('auth_codes_expiry_after_creation', sql`expires_at > created_at`)
    .execute();

  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    // One grant per auth code, whatever happens above the database (§3: an authCode works once).
    .addColumn('auth_code_hash', 'text', (c) => c.unique().references('auth_codes.code_hash').onDelete('set null'))
    .addColumn('scopes', sql`text[]`, (c) => c.notNull().check(sql`cardinality(scopes) between 1 and 16`))
    .addColumn('refresh_token_hash', 'text', (c) => c.notNull().unique().check(sql`refresh_token_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('refresh_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('grants_refresh_after_creation', sql`refresh_expires_at > created_at`)
    .execute();
  await db.schema.createIndex('grants_customer').on('grants').column('customer_id').execute();

  await db.schema
    .createTable('access_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey().check(sql`token_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('grant_id', 'text', (c) => c.notNull().references('grants.id'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('access_tokens_expiry_after_creation', sql`expires_at > created_at`)
    .execute();
  await db.schema.createIndex('access_tokens_grant').on('access_tokens').column('grant_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('access_tokens').execute();
  await db.schema.dropTable('grants').execute();
  await db.schema.dropTable('auth_codes').execute();
}
