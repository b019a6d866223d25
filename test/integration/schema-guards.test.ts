/**
 * The database still refuses a bad row after the single-column CHECKs became domains (migration
 * 0040), on both engines: every moved rule, one bad value each, is refused by the domain's own
 * check; the multi-column checks stay on their tables. And the status log (migration 0041) shows
 * an order's creation from its row, once, also for an order whose creation row was written to
 * the history before that migration. Migration 0042's columns use the same domains.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../../src/persistence/database.ts';
import { migrateToLatest } from '../../src/persistence/migrate.ts';
import type { Database } from '../../src/persistence/schema.ts';
import { realPostgres, testDatabase } from '../support/harness.ts';

const handles: DatabaseHandle[] = [];
afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
});

async function engines(): Promise<Array<[string, DatabaseHandle]>> {
  const pglite = createDatabase({ dataDir: 'memory://' });
  await migrateToLatest(pglite.db);
  handles.push(pglite);
  const list: Array<[string, DatabaseHandle]> = [['pglite', pglite]];
  if (realPostgres || process.env.REQUIRE_REAL_SERVICES === '1') {
    const pg = await testDatabase();
    handles.push(pg);
    list.push(['postgres', pg]);
  }
  return list;
}

const HEX = 'a'.repeat(64);
const T0 = new Date('2026-12-06T00:00:00Z');

/** A valid PROCESSING order (with its claim), written as pay writes it. */
async function order(db: Kysely<Database>, id: string): Promise<void> {
  await sql`
    insert into payments (id, psp_id, payment_request_id, customer_id, status, result_code, payment_currency, payment_minor,
                          pay_to_currency, pay_to_minor, surcharge_currency, surcharge_minor, debit_minor, quote_id, quote_pair,
                          quote_price, expires_at, payment_time, cashier_token_hash, request, created_at, updated_at)
    values (${id}, 'psp', ${`r-${id}`}, 'guard-c', 'PROCESSING', 'PAYMENT_IN_PROCESS', 'JPY', 100, 'KRW', 1000, 'KRW', 30, 1030,
            'q1', 'JPY/KRW', 10.0, ${T0}::timestamptz + interval '3 minutes', null, ${`h-${id}`}, '{}'::jsonb, ${T0}::timestamptz, ${T0}::timestamptz)`.execute(db);
  await sql`insert into pay_requests (psp_id, payment_request_id, request_hash, payment_id, answer, created_at)
            values ('psp', ${`r-${id}`}, ${HEX}, ${id}, '{}'::jsonb, ${T0}::timestamptz)`.execute(db);
}

// Each moved rule: the statement that breaks it, and the domain whose check refuses it.
const PAYMENT_COLUMNS: ReadonlyArray<readonly [column: string, bad: string, domain: string]> = [
  ['id', `''`, 'mpp_id64'],
  ['payment_request_id', `repeat('x', 65)`, 'mpp_id64'],
  ['status', `'PAID'`, 'mpp_payment_status'],
  ['payment_currency', `'jpy'`, 'mpp_currency'],
  ['payment_minor', '0', 'mpp_positive_minor'],
  ['pay_to_currency', `'K1W'`, 'mpp_currency'],
  ['pay_to_minor', '-1', 'mpp_positive_minor'],
  ['surcharge_minor', '-1', 'mpp_nonnegative_minor'],
  ['quote_id', `''`, 'mpp_id64'],
  ['quote_pair', `'JPYKRW'`, 'mpp_quote_pair'],
  ['quote_price', '0', 'mpp_positive_rate'],
];

describe('database guards on both engines', async () => {
  for (const [name, handle] of await engines()) {
    const db = handle.db;
    await sql`insert into customers (id, status, currency) values ('guard-c', 'NORMAL', 'KRW')`.execute(db);
    await order(db, `g-${name}`);
    const id = `g-${name}`;

    for (const [column, bad, domain] of PAYMENT_COLUMNS) {
      it(`${name}: payments.${column} = ${bad} is refused by ${domain}`, async () => {
        await expect(sql`update payments set ${sql.id(column)} = ${sql.raw(bad)} where id = ${id}`.execute(db)).rejects.toThrow(
          new RegExp(`violates check constraint "${domain}_check"`),
        );
      });
    }

    it(`${name}: the multi-column checks stay on the table`, async () => {
      await expect(sql`update payments set debit_minor = 999 where id = ${id}`.execute(db)).rejects.toThrow(/payments_debit_covers_pay_to/);
      await expect(sql`update payments set status = 'SUCCESS' where id = ${id}`.execute(db)).rejects.toThrow(/payments_result_matches_status/);
      await expect(sql`update payments set surcharge_currency = null where id = ${id}`.execute(db)).rejects.toThrow(/payments_surcharge_both_or_neither/);
    });

    it(`${name}: pay_requests refuses a bad key or hash`, async () => {
      await expect(sql`update pay_requests set payment_request_id = '' where payment_id = ${id}`.execute(db)).rejects.toThrow(/"mpp_id64_check"/);
      await expect(sql`update pay_requests set request_hash = 'ABC' where payment_id = ${id}`.execute(db)).rejects.toThrow(/"mpp_sha256_hex_check"/);
    });

    it(`${name}: payment_status_history refuses a bad status or reason`, async () => {
      const row = (from: string, to: string, reason: string) =>
        sql`insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
            values (${id}, ${sql.raw(from)}, ${sql.raw(to)}, 'ORDER_IS_CLOSED', ${sql.raw(reason)}, ${T0}::timestamptz)`.execute(db);
      await expect(row(`'OPEN'`, `'CLOSED'`, `'EXPIRED'`)).rejects.toThrow(/"mpp_payment_status_check"/);
      await expect(row(`'PROCESSING'`, `'SHUT'`, `'EXPIRED'`)).rejects.toThrow(/"mpp_payment_status_check"/);
      await expect(row(`'PROCESSING'`, `'CLOSED'`, `''`)).rejects.toThrow(/"mpp_reason_check"/);
      await expect(row(`'PROCESSING'`, `'CLOSED'`, `repeat('r', 257)`)).rejects.toThrow(/"mpp_reason_check"/);
    });

    it(`${name}: the token tables refuse a bad hash or scope list`, async () => {
      await sql`insert into auth_codes (code_hash, customer_id, scopes, expires_at, created_at)
                values (${HEX}, 'guard-c', array['AGREEMENT_PAY'], ${T0}::timestamptz + interval '1 minute', ${T0}::timestamptz)`.execute(db);
      await expect(sql`update auth_codes set code_hash = 'x' where code_hash = ${HEX}`.execute(db)).rejects.toThrow(/"mpp_sha256_hex_check"/);
      await expect(sql`update auth_codes set scopes = array[]::text[] where code_hash = ${HEX}`.execute(db)).rejects.toThrow(/"auth_codes_scopes_check"/);
      await sql`insert into grants (id, customer_id, auth_code_hash, scopes, refresh_token_hash, refresh_expires_at, created_at)
                values ('guard-g', 'guard-c', ${HEX}, array['AGREEMENT_PAY'], ${HEX}, ${T0}::timestamptz + interval '1 day', ${T0}::timestamptz)`.execute(db);
      await expect(sql`update grants set refresh_token_hash = ${HEX.toUpperCase()} where id = 'guard-g'`.execute(db)).rejects.toThrow(/"mpp_sha256_hex_check"/);
      await expect(sql`update grants set scopes = array_fill('S'::text, array[17]) where id = 'guard-g'`.execute(db)).rejects.toThrow(/"grants_scopes_check"/);
      await expect(
        sql`insert into access_tokens (token_hash, grant_id, expires_at, created_at)
            values ('short', 'guard-g', ${T0}::timestamptz + interval '1 hour', ${T0}::timestamptz)`.execute(db),
      ).rejects.toThrow(/"mpp_sha256_hex_check"/);
    });

    it(`${name}: migration 0042's columns (refresh rotation, acquirerId) are checked by the same domains`, async () => {
      await expect(sql`update grants set acquirer_id = repeat('a', 65) where id = 'guard-g'`.execute(db)).rejects.toThrow(/"mpp_id64_check"/);
      await sql`update grants set acquirer_id = '1022188000000000' where id = 'guard-g'`.execute(db);
      await sql`insert into refresh_rotations (old_refresh_token_hash, grant_id, nonce, access_token_hash, access_expires_at, refresh_token_hash,
                                               refresh_expires_at, grace_until, created_at)
                values (${HEX}, 'guard-g', ${HEX}, ${HEX}, ${T0}::timestamptz + interval '1 hour', ${HEX}, ${T0}::timestamptz + interval '1 day',
                        ${T0}::timestamptz + interval '5 minutes', ${T0}::timestamptz)`.execute(db);
      for (const column of ['old_refresh_token_hash', 'nonce', 'access_token_hash', 'refresh_token_hash']) {
        await expect(sql`update refresh_rotations set ${sql.id(column)} = 'short'`.execute(db)).rejects.toThrow(/"mpp_sha256_hex_check"/);
      }
    });

    it(`${name}: the status log shows an order's creation from its row, once, also with an older creation row in the history`, async () => {
      const log = (pid: string) => db.selectFrom('payment_status_log').selectAll().where('payment_id', '=', pid).orderBy('changed_at').execute();
      const creation = { from_status: null, to_status: 'PROCESSING', result_code: 'PAYMENT_IN_PROCESS', reason: 'ACCEPTED', changed_at: T0 };
      expect(await log(id)).toEqual([{ payment_id: id, ...creation }]);

      const old = `old-${name}`;
      await order(db, old);
      await sql`insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
                values (${old}, null, 'PROCESSING', 'PAYMENT_IN_PROCESS', 'ACCEPTED', ${T0}::timestamptz)`.execute(db);
      const closedAt = new Date(T0.getTime() + 180_000);
      await sql`update payments set status = 'CLOSED', result_code = 'ORDER_IS_CLOSED' where id = ${old}`.execute(db);
      await sql`insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
                values (${old}, 'PROCESSING', 'CLOSED', 'ORDER_IS_CLOSED', 'EXPIRED', ${closedAt}::timestamptz)`.execute(db);
      expect(await log(old)).toEqual([
        { payment_id: old, ...creation },
        { payment_id: old, from_status: 'PROCESSING', to_status: 'CLOSED', result_code: 'ORDER_IS_CLOSED', reason: 'EXPIRED', changed_at: closedAt },
      ]);
    });
  }
});
