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
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('grants')
    .addColumn('acquirer_id', 'text', (c) => c.check(sql`length(acquirer_id) between 1 and 64`))
    .execute();

  await db.schema
    .createTable('refresh_rotations')
    .addColumn('old_refresh_token_hash', 'text', (c) => c.primaryKey().check(sql`old_refresh_token_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('grant_id', 'text', (c) => c.notNull().references('grants.id'))
    .addColumn('nonce', 'text', (c) => c.notNull().check(sql`nonce ~ '^[0-9a-f]{64}$'`))
    .addColumn('access_token_hash', 'text', (c) => c.notNull().check(sql`access_token_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('access_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('refresh_token_hash', 'text', (c) => c.notNull().check(sql`refresh_token_hash ~ '^[0-9a-f]{64}$'`))
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
