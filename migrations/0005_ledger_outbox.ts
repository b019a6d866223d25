import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// The wallet ledger (double entry) and the notifyPayment outbox.
//
// Sign convention: an entry adds its signed amount to its account's balance. A wallet's balance is
// what the user owns (>= 0, enforced below). FUNDING is where top-ups come from and goes negative
// by every top-up; SETTLEMENT is what we owe Alipay+ (payToAmount of successful payments, minus
// reversals and refunds); SURCHARGE is the surcharge users paid on top (ours, not settled to
// Alipay+, §2). Every transfer sums to zero per currency, so the balances of all accounts of a
// currency sum to zero: wallets + settlement + surcharge = total top-ups = -funding.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ledger_accounts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('CUSTOMER_WALLET', 'SETTLEMENT', 'FUNDING', 'SURCHARGE')`))
    .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
    .addColumn('currency', 'char(3)', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('balance_minor', 'int8', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A wallet belongs to a customer; the house accounts belong to nobody.
    .addCheckConstraint('ledger_accounts_owner', sql`(kind = 'CUSTOMER_WALLET') = (customer_id is not null)`)
    // The database itself refuses a negative wallet, whatever the code does.
    .addCheckConstraint('ledger_wallet_not_negative', sql`kind <> 'CUSTOMER_WALLET' or balance_minor >= 0`)
    // Target of the entries' (account_id, currency) foreign key.
    .addUniqueConstraint('ledger_accounts_id_currency', ['id', 'currency'])
    .execute();
  await sql`create unique index ledger_accounts_wallet on ledger_accounts (customer_id, currency) where kind = 'CUSTOMER_WALLET'`.execute(db);
  await sql`create unique index ledger_accounts_house on ledger_accounts (kind, currency) where kind <> 'CUSTOMER_WALLET'`.execute(db);

  await db.schema
    .createTable('ledger_transfers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('TOP_UP', 'PAYMENT', 'REVERSAL', 'REFUND')`))
    // 'topup:<key>', 'payment:<paymentId>', 'reversal:<paymentId>', 'refund:<refundId>'.
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('reference', 'text', (c) => c.notNull())
    // The payment a PAYMENT, REVERSAL or REFUND transfer belongs to (what it still holds is summed by it).
    .addColumn('payment_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('ledger_transfers_payment', sql`(kind = 'TOP_UP') = (payment_id is null)`)
    .execute();
  await sql`create index ledger_transfers_payment on ledger_transfers (payment_id) where payment_id is not null`.execute(db);

  await db.schema
    .createTable('ledger_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('transfer_id', 'int8', (c) => c.notNull().references('ledger_transfers.id'))
    .addColumn('account_id', 'int8', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('amount_minor', 'int8', (c) => c.notNull().check(sql`amount_minor <> 0`))
    // An entry is in its account's currency.
    .addForeignKeyConstraint('ledger_entries_account', ['account_id', 'currency'], 'ledger_accounts', ['id', 'currency'])
    .execute();
  await db.schema.createIndex('ledger_entries_transfer').on('ledger_entries').column('transfer_id').execute();
  await db.schema.createIndex('ledger_entries_account').on('ledger_entries').column('account_id').execute();

  // Every transfer balances per currency and has at least two entries: checked at commit
  // (deferred), so the code may insert a transfer's entries in any order within its transaction.
  await sql`
    create function ledger_transfer_balanced() returns trigger language plpgsql as $$
    declare
      tid int8;
      bad record;
      n int;
    begin
      -- plpgsql resolves a record field only when the statement runs: one branch per table.
      if TG_TABLE_NAME = 'ledger_entries' then
        tid := NEW.transfer_id;
      else
        tid := NEW.id;
      end if;
      select currency, sum(amount_minor) as total into bad
        from ledger_entries where transfer_id = tid
        group by currency having sum(amount_minor) <> 0 limit 1;
      if found then
        raise exception 'ledger transfer % is unbalanced in %: %', tid, bad.currency, bad.total
          using errcode = '23514', constraint = 'ledger_transfer_balanced';
      end if;
      select count(*) into n from ledger_entries where transfer_id = tid;
      if n < 2 then
        raise exception 'ledger transfer % has % entries, at least 2 are needed', tid, n
          using errcode = '23514', constraint = 'ledger_transfer_balanced';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger ledger_entries_balanced after insert on ledger_entries
    deferrable initially deferred for each row execute function ledger_transfer_balanced()`.execute(db);
  await sql`
    create constraint trigger ledger_transfers_balanced after insert on ledger_transfers
    deferrable initially deferred for each row execute function ledger_transfer_balanced()`.execute(db);

  // The journal is append-only: a correction is a new transfer, never an edit.
  await sql`
    create function ledger_append_only() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only', TG_TABLE_NAME using errcode = '55000';
    end $$`.execute(db);
  await sql`
    create trigger ledger_entries_append_only before update or delete on ledger_entries
    for each row execute function ledger_append_only()`.execute(db);
  await sql`
    create trigger ledger_transfers_append_only before update or delete on ledger_transfers
    for each row execute function ledger_append_only()`.execute(db);

  // §5 notifyPayment outbox: one row per payment reaching a final state, written in the same
  // transaction as the state change; the dispatcher delivers it at least once.
  await db.schema
    .createTable('notify_outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('payment_id', 'text', (c) => c.notNull().unique())
    // The payment's paymentNotifyUrl; null means the configured Alipay+ endpoint, resolved at send time.
    .addColumn('url', 'text')
    // The exact JSON sent, built at enqueue time (a retry sends the same bytes, freshly signed).
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('attempts', 'int4', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    // Gave up after the retry horizon: kept, visible in /metrics, for ops to look at.
    .addColumn('failed_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('notify_outbox_one_end', sql`delivered_at is null or failed_at is null`)
    .execute();
  await sql`create index notify_outbox_due on notify_outbox (next_attempt_at) where delivered_at is null and failed_at is null`.execute(db);
  await sql`create index notify_outbox_failed on notify_outbox (failed_at) where failed_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notify_outbox').execute();
  await db.schema.dropTable('ledger_entries').execute();
  await db.schema.dropTable('ledger_transfers').execute();
  await db.schema.dropTable('ledger_accounts').execute();
  await sql`drop function ledger_transfer_balanced()`.execute(db);
  await sql`drop function ledger_append_only()`.execute(db);
}
