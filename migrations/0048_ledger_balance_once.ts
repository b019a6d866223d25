import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// Issue 20, the synchronous pays: "every transfer balances per currency and has at least two
// entries" (0005) was checked by one deferred trigger per ROW of ledger_transfers and of
// ledger_entries, each running two queries over the transfer's entries: a payment's transfer of
// two legs ran it three times, six index scans, at commit. In the bench's payment-code pay that
// was 17,766 calls and 1,032 ms of Postgres time (58 µs a call, 174 µs a pay, a sixth of the pay's
// Postgres time; pg_stat_user_functions with track_functions = 'pl').
//
// The same rule, checked once per transfer and once per statement:
// - after every statement that inserts entries (one trigger per statement, over the rows it
//   inserted), each transfer it touched balances per currency and has at least two entries. The
//   code inserts a transfer's entries in one statement (postTransfer's one INSERT, or the
//   synchronous pays' one statement), so this is where a skewed transfer is refused, before
//   COMMIT. The journal is append-only, so a transfer that balanced after its entries' statement
//   still does at commit;
// - at commit (deferred, once per transfer row), the transfer balances and has at least two
//   entries: this is what refuses a transfer that got no entries at all. One query.
// The error is the one it always was: SQLSTATE 23514, constraint ledger_transfer_balanced.
// Measured the same way after: 58 µs a transfer at commit and 280 µs a statement (7.4 transfers
// in a batch of the bench's), about 96 µs a pay.
// The two functions repeat the rule's two messages on purpose: one function for both triggers
// (the row's transfer or the statement's, as an array, through one left join lateral) measured
// about 270 µs a call in the same bench, and about 310 µs a pay.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger ledger_entries_balanced on ledger_entries`.execute(db);
  await sql`drop trigger ledger_transfers_balanced on ledger_transfers`.execute(db);
  await sql`drop function ledger_transfer_balanced()`.execute(db);

  await sql`
    create function ledger_transfer_balanced() returns trigger language plpgsql as $$
    declare
      bad record;
    begin
      select e.currency, sum(e.amount_minor) as total, sum(count(*)) over () as entries into bad
        from ledger_entries e
       where e.transfer_id = NEW.id
       group by e.currency
       order by sum(e.amount_minor) <> 0 desc
       limit 1;
      if not found or bad.entries < 2 then
        raise exception 'ledger transfer % has % entries, at least 2 are needed', NEW.id, coalesce(bad.entries, 0)
          using errcode = '23514', constraint = 'ledger_transfer_balanced';
      end if;
      if bad.total <> 0 then
        raise exception 'ledger transfer % is unbalanced in %: %', NEW.id, bad.currency, bad.total
          using errcode = '23514', constraint = 'ledger_transfer_balanced';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger ledger_transfers_balanced after insert on ledger_transfers
    deferrable initially deferred for each row execute function ledger_transfer_balanced()`.execute(db);

  // The transfers are visited one by one (a lateral index scan on ledger_entries_transfer each),
  // never as a join the planner could turn into a scan of the whole journal.
  await sql`
    create function ledger_entries_balanced() returns trigger language plpgsql as $$
    declare
      bad record;
    begin
      select t.transfer_id, s.currency, s.total, s.entries into bad
        from (select distinct transfer_id from added) t
        cross join lateral (
          select e.currency, sum(e.amount_minor) as total, sum(count(*)) over () as entries
            from ledger_entries e
           where e.transfer_id = t.transfer_id
           group by e.currency) s
       where s.total <> 0 or s.entries < 2
       limit 1;
      if found and bad.total <> 0 then
        raise exception 'ledger transfer % is unbalanced in %: %', bad.transfer_id, bad.currency, bad.total
          using errcode = '23514', constraint = 'ledger_transfer_balanced';
      end if;
      if found then
        raise exception 'ledger transfer % has % entries, at least 2 are needed', bad.transfer_id, bad.entries
          using errcode = '23514', constraint = 'ledger_transfer_balanced';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger ledger_entries_balanced after insert on ledger_entries
    referencing new table as added
    for each statement execute function ledger_entries_balanced()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger ledger_entries_balanced on ledger_entries`.execute(db);
  await sql`drop function ledger_entries_balanced()`.execute(db);
  await sql`drop trigger ledger_transfers_balanced on ledger_transfers`.execute(db);
  await sql`drop function ledger_transfer_balanced()`.execute(db);
  await sql`
    create function ledger_transfer_balanced() returns trigger language plpgsql as $$
    declare
      tid int8;
      bad record;
      n int;
    begin
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
}
