/**
 * §6 code lists in Postgres: entries unique on (kind, pattern_type, pattern), and one version row
 * bumped in the same transaction as each change (the use case opens it).
 */
import type { Kysely, Selectable } from 'kysely';
import type { CodeListRepository, StoredCodeListEntry } from '../domain/codes/ports.ts';
import type { Db, CodeListEntriesTable, Database } from './schema.ts';
import { unitOfWork } from './unit-of-work.ts';

function toEntry(row: Selectable<CodeListEntriesTable>): StoredCodeListEntry {
  return {
    id: row.id,
    kind: row.kind,
    patternType: row.pattern_type,
    pattern: row.pattern,
    ...(row.note !== null && { note: row.note }),
    createdAt: row.created_at,
  };
}

async function readVersion(db: Db): Promise<bigint> {
  const row = await db.selectFrom('code_lists_version').select('version').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.version;
}

export function codeListRepository(db: Db): CodeListRepository {
  return {
    version: () => readVersion(db),
    async snapshot() {
      // Version first (see the port): read committed gives each statement its own snapshot.
      const version = await readVersion(db);
      const rows = await db.selectFrom('code_list_entries').selectAll().orderBy('id').execute();
      return { version, entries: rows.map(toEntry) };
    },
    async page(kind, o) {
      let q = db.selectFrom('code_list_entries').selectAll().where('kind', '=', kind);
      if (o.afterId !== undefined) q = q.where('id', '>', o.afterId);
      return (await q.orderBy('id').limit(o.limit).execute()).map(toEntry);
    },
    async insert(entry) {
      const row = await db
        .insertInto('code_list_entries')
        .values({ kind: entry.kind, pattern_type: entry.patternType, pattern: entry.pattern, note: entry.note ?? null })
        .onConflict((oc) => oc.columns(['kind', 'pattern_type', 'pattern']).doNothing())
        .returningAll()
        .executeTakeFirst();
      return row ? toEntry(row) : undefined;
    },
    async remove(kind, id) {
      const result = await db.deleteFrom('code_list_entries').where('id', '=', id).where('kind', '=', kind).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async bumpVersion() {
      const row = await db
        .updateTable('code_lists_version')
        .set((eb) => ({ version: eb('version', '+', 1n) }))
        .where('id', '=', 1)
        .returning('version')
        .executeTakeFirstOrThrow();
      return row.version;
    },
  };
}

export function codeListUnitOfWork(db: Kysely<Database>) {
  return unitOfWork(db, (trx) => ({ codeLists: codeListRepository(trx) }));
}
