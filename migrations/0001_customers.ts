import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('NORMAL', 'FROZEN')`))
    .addColumn('currency', 'char(3)', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('customers_id_shape', sql`length(id) between 1 and 64`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('customers').execute();
}
