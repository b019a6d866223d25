/**
 * The UnitOfWork port on Kysely: one transaction, repositories bound to it, commit or roll back
 * together. READ COMMITTED on purpose: after an `INSERT ... ON CONFLICT DO NOTHING` waited for a
 * concurrent claim to commit, the next statement must see that committed row (§4 idempotency).
 */
import type { Kysely, Transaction } from 'kysely';
import type { UnitOfWork } from '../domain/ports.ts';
import type { Database } from './schema.ts';

export function unitOfWork<Repos>(db: Kysely<Database>, bind: (trx: Transaction<Database>) => Repos): UnitOfWork<Repos> {
  return {
    run: (work) =>
      db
        .transaction()
        .setIsolationLevel('read committed')
        .execute((trx) => work(bind(trx))),
  };
}
