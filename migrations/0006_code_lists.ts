import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// §6 code identification: ops-managed local codes, allowlist and blocklist patterns; a version
// counter bumped in the same transaction as every change, which each instance polls to recompile
// its in-process copy; and the last Alipay+ code rule set fetched (inquiryCodeRules).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('code_list_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('LOCAL', 'ALLOWLIST', 'BLOCKLIST')`))
    .addColumn('pattern_type', 'text', (c) => c.notNull().check(sql`pattern_type in ('PREFIX', 'REGEX')`))
    // 2048 bytes: far above any real prefix, and well inside a btree index row (the unique key below).
    .addColumn('pattern', 'text', (c) => c.notNull().check(sql`length(pattern) >= 1 and octet_length(pattern) <= 2048`))
    .addColumn('note', 'text', (c) => c.check(sql`length(note) <= 500`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('code_list_entries_unique', ['kind', 'pattern_type', 'pattern'])
    .execute();

  // One row, id 1: the version of the lists as a whole.
  await db.schema
    .createTable('code_lists_version')
    .addColumn('id', 'int4', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('version', 'int8', (c) => c.notNull().check(sql`version >= 0`))
    .execute();
  await sql`insert into code_lists_version (id, version) values (1, 0)`.execute(db);

  await db.schema
    .createTable('code_rule_sets')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('body', 'jsonb', (c) => c.notNull())
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('code_rule_sets').execute();
  await db.schema.dropTable('code_lists_version').execute();
  await db.schema.dropTable('code_list_entries').execute();
}
