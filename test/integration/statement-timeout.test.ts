/** Issue 16 item 2: the service's Postgres sessions carry DB_STATEMENT_TIMEOUT_MS as statement_timeout. */
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createDatabase } from '../../src/persistence/database.ts';
import { realPostgres } from '../support/harness.ts';

it('defaults to a statement_timeout below the handler timeout', () => {
  const c = loadConfig({});
  expect(c.dbStatementTimeoutMs).toBeGreaterThan(0);
  expect(c.dbStatementTimeoutMs).toBeLessThan(c.handlerTimeoutMs);
});

it.runIf(realPostgres)('cancels a statement that runs past DB_STATEMENT_TIMEOUT_MS (57014) and keeps the pool usable', async () => {
  const config = loadConfig({ DB_STATEMENT_TIMEOUT_MS: '200' });
  const handle = createDatabase({ url: process.env.DATABASE_URL, poolSize: 1, statementTimeoutMs: config.dbStatementTimeoutMs });
  try {
    const shown = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(handle.db);
    expect(shown.rows[0]!.statement_timeout).toBe('200ms');
    const started = Date.now();
    await expect(sql`select pg_sleep(2)`.execute(handle.db)).rejects.toMatchObject({ code: '57014' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await sql<{ one: number }>`select 1 as one`.execute(handle.db)).rows[0]!.one).toBe(1);
  } finally {
    await handle.close();
  }
});
