/** §6: the last Alipay+ code rule set fetched, kept for the next start (one row: the latest). */
import type { Kysely } from 'kysely';
import type { CodeRuleSetStore } from '../domain/codes/ports.ts';
import type { Database } from './schema.ts';

export function codeRuleSetStore(db: Kysely<Database>): CodeRuleSetStore {
  return {
    async latest() {
      const row = await db.selectFrom('code_rule_sets').selectAll().orderBy('fetched_at', 'desc').limit(1).executeTakeFirst();
      return row ? { version: row.version, body: row.body, fetchedAt: row.fetched_at } : undefined;
    },
    async save(rules) {
      const body = JSON.stringify(rules.body);
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('code_rule_sets')
          .values({ version: rules.version, body, fetched_at: rules.fetchedAt })
          .onConflict((oc) => oc.column('version').doUpdateSet({ body, fetched_at: rules.fetchedAt }))
          .execute();
        await trx.deleteFrom('code_rule_sets').where('version', '<>', rules.version).execute();
      });
    },
  };
}
