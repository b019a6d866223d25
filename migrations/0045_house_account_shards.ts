import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// Issue 20: every payment's debit updated the ONE SETTLEMENT row of its currency and held that
// row's lock until COMMIT, so the synchronous pays (§9, §10) of a currency ran one at a time on it
// (docs/performance.md, "The synchronous pays"). A house account (SETTLEMENT, SURCHARGE, FUNDING)
// is now split into sub-accounts, one row per (kind, currency, shard); a transfer posts to the
// shard its idempotency key picks, and a house balance is the sum of its shards. A customer's
// wallet stays one row (shard 0): its guard needs the whole balance in one place.
//
// The shard's range is a domain, so the balance UPDATEs (which never set it) check nothing more.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create domain mpp_account_shard as int2 check (value between 0 and 255)`.execute(db);
  await sql`alter table ledger_accounts add column shard mpp_account_shard not null default 0`.execute(db);
  await sql`drop index ledger_accounts_house`.execute(db);
  await sql`create unique index ledger_accounts_house on ledger_accounts (kind, currency, shard) where kind <> 'CUSTOMER_WALLET'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Entries are append-only (0005's triggers), so they cannot move to shard 0: going back is only
  // possible while no transfer has used another shard.
  await sql`
    do $$ begin
      if exists (select 1 from ledger_accounts where shard <> 0) then
        raise exception 'house sub-accounts other than shard 0 exist; their entries are append-only and cannot be folded back';
      end if;
    end $$`.execute(db);
  await sql`drop index ledger_accounts_house`.execute(db);
  await sql`create unique index ledger_accounts_house on ledger_accounts (kind, currency) where kind <> 'CUSTOMER_WALLET'`.execute(db);
  await sql`alter table ledger_accounts drop column shard`.execute(db);
  await sql`drop domain mpp_account_shard`.execute(db);
}
