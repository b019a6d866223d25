/**
 * Prepared statements (src/persistence/prepared-statements.ts) on the real engine: a statement is
 * prepared once per connection, and a migration that changes a table's columns under a running
 * instance costs at most one failed query per connection, after which the new columns are seen.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realPostgres, type TestDatabase, testDatabase } from '../support/harness.ts';

let database: TestDatabase;

beforeAll(async () => {
  // One connection, so the statement below is prepared on the connection that meets the change.
  database = await testDatabase({ poolSize: 1 });
  await sql`create table prep_probe (id int primary key)`.execute(database.db);
  await sql`insert into prep_probe values (1)`.execute(database.db);
});
afterAll(async () => database.close());

const probe = () =>
  database.db
    .selectFrom('prep_probe' as never)
    .selectAll()
    .where('id' as never, '=', 1 as never)
    .execute();

describe('prepared statements', () => {
  it('answer the same query repeatedly', async () => {
    for (let i = 0; i < 3; i++) expect(await probe()).toEqual([{ id: 1 }]);
  });

  // PGlite runs in process; there is no pg pool to prepare on.
  it.runIf(realPostgres)('are prepared on the server once and reused', async () => {
    for (let i = 0; i < 3; i++) expect(await probe()).toEqual([{ id: 1 }]);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where statement like 'select * from "prep_probe"%'`.execute(
      database.db,
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('recover after a migration adds a column: at most one query fails, then the new column is read', async () => {
    await probe();
    await sql`alter table prep_probe add column note text default 'x'`.execute(database.db);
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      try {
        outcomes.push(JSON.stringify(await probe()));
      } catch (err) {
        outcomes.push(`error: ${(err as Error).message}`);
      }
    }
    expect(outcomes.filter((o) => o.startsWith('error')).length).toBeLessThanOrEqual(1);
    expect(outcomes[outcomes.length - 1]).toBe(JSON.stringify([{ id: 1, note: 'x' }]));
  });
});
