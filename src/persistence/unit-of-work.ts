/**
 * The UnitOfWork port (domain/ports.ts) over Kysely: `run(work)` opens one transaction, binds the
 * repositories to it with `bind`, and commits when `work` resolves or rolls back when it throws.
 * A use case that must change several things atomically (the cashier's Pay: payment CAS, wallet
 * debit, notify outbox row) lists their repositories in `bind`.
 */
import type { Kysely, Transaction } from 'kysely';
import type { UnitOfWork } from '../domain/ports.ts';
import type { Database } from './schema.ts';

export function unitOfWork<Repos>(db: Kysely<Database>, bind: (trx: Transaction<Database>) => Repos): UnitOfWork<Repos> {
  return {
    run: (work) => db.transaction().execute((trx) => work(bind(trx))),
  };
}
