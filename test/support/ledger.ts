/** Ledger test helpers: run domain functions in a transaction, and read the books back. */
import { type Kysely, sql } from 'kysely';
import type { Ledger } from '../../src/domain/wallet/ports.ts';
import { customerRepository } from '../../src/persistence/customers-repository.ts';
import { ledgerRepository } from '../../src/persistence/ledger-repository.ts';
import type { Database } from '../../src/persistence/schema.ts';

export function inLedgerTx<T>(db: Kysely<Database>, work: (ledger: Ledger) => Promise<T>): Promise<T> {
  return db.transaction().execute((trx) => work(ledgerRepository(trx)));
}

export async function addCustomer(db: Kysely<Database>, id: string, currency = 'KRW'): Promise<void> {
  const c = await customerRepository(db).insert({ id, currency, status: 'NORMAL' }, new Date());
  if (!c) throw new Error(`customer ${id} exists`);
}

export interface Books {
  /** Sum of balances per account kind and currency, e.g. `KRW/CUSTOMER_WALLET`. */
  readonly byKind: ReadonlyMap<string, bigint>;
  /** Transfers whose entries do not sum to zero per currency (must be empty). */
  readonly unbalanced: readonly string[];
  /** Accounts whose balance differs from the sum of their entries (must be empty). */
  readonly drifted: readonly string[];
  readonly negativeWallets: readonly string[];
  /** Sum of TOP_UP amounts per currency. */
  readonly topUps: ReadonlyMap<string, bigint>;
}

export async function readBooks(db: Kysely<Database>): Promise<Books> {
  const accounts = await db.selectFrom('ledger_accounts').selectAll().execute();
  const byKind = new Map<string, bigint>();
  for (const a of accounts) {
    const k = `${a.currency}/${a.kind}`;
    byKind.set(k, (byKind.get(k) ?? 0n) + a.balance_minor);
  }
  const unbalanced = await sql<{ transfer_id: bigint }>`
    select transfer_id from ledger_entries group by transfer_id, currency having sum(amount_minor) <> 0
    union select t.id from ledger_transfers t where (select count(*) from ledger_entries e where e.transfer_id = t.id) < 2`.execute(db);
  const drifted = await sql<{ id: bigint }>`
    select a.id from ledger_accounts a left join ledger_entries e on e.account_id = a.id
    group by a.id, a.balance_minor having a.balance_minor <> coalesce(sum(e.amount_minor), 0)`.execute(db);
  const topUps = await sql<{ currency: string; total: bigint }>`
    select e.currency, sum(e.amount_minor)::int8 as total from ledger_entries e
    join ledger_transfers t on t.id = e.transfer_id join ledger_accounts a on a.id = e.account_id
    where t.kind = 'TOP_UP' and a.kind = 'CUSTOMER_WALLET' group by e.currency`.execute(db);
  return {
    byKind,
    unbalanced: unbalanced.rows.map((r) => String(r.transfer_id)),
    drifted: drifted.rows.map((r) => String(r.id)),
    negativeWallets: accounts.filter((a) => a.kind === 'CUSTOMER_WALLET' && a.balance_minor < 0n).map((a) => String(a.id)),
    topUps: new Map(topUps.rows.map((r) => [r.currency.trim(), r.total])),
  };
}

export const kindTotal = (b: Books, currency: string, kind: string): bigint => b.byKind.get(`${currency}/${kind}`) ?? 0n;
