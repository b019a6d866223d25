import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// §3 revision 2.
//   grants.acquirer_id   the acquirerId the grant was issued for (recorded, not a gate)
//   refresh_rotations    one row per refresh token rotated away: the grant, when the old pair
//                        stops working (grace_until), the new pair's hashes and expiries, and a
//                        random nonce from which the new pair is derived again together with the
//                        old refresh token (HMAC-SHA256). A repeat of the same refresh within the
//                        grace, on any instance, gets the same new pair while only hashes and the
//                        nonce (not a token) are stored. The primary key makes a rotation happen
//                        once per refresh token.
// Numbered after 0041 (it was written as 0008 on the issue-15 branch): a database already at 0041
// migrates forward to it. Its single-column checks use 0040's domains (mpp_id64, mpp_sha256_hex):
// applyToken writes both tables, and a domain's check is planned once, not per statement.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('grants').addColumn('acquirer_id', sql`mpp_id64`).execute();

  await db.schema
    .createTable('refresh_rotations')
    .addColumn('old_refresh_token_hash', sql`mpp_sha256_hex`, (c) => c.primaryKey())
    .addColumn('grant_id', 'text', (c) => c.notNull().references('grants.id'))
    .addColumn('nonce', sql`mpp_sha256_hex`, (c) => c.notNull())
    .addColumn('access_token_hash', sql`mpp_sha256_hex`, (c) => c.notNull())
    .addColumn('access_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('refresh_token_hash', sql`mpp_sha256_hex`, (c) => c.notNull())
    .addColumn('refresh_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('grace_until', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('refresh_rotations_grace', sql`grace_until > created_at`)
    .execute();
  await db.schema.createIndex('refresh_rotations_grant').on('refresh_rotations').column('grant_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('refresh_rotations').execute();
  await db.schema.alterTable('grants').dropColumn('acquirer_id').execute();
}
