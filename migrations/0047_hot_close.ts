import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// Issue 20, the sweeper: closing an order (and paying one) can be a heap-only (HOT) update, which
// writes no index entry, only when no index mentions a column the update changes. Two indexes
// named `status` in their predicate, so every close wrote a new entry into each of the table's
// indexes. Now:
// - payments_expiry indexes every order by (expiry, id); the sweeper walks it from its floor (the
//   first order that may still be open; the expiry of a floor is kept in expiry_sweep_floor), not
//   from the first order ever made;
// - payments_with_env keeps its predicate on the stored request alone (the retention job still
//   asks for final orders, and reads the status from the row);
// - payments leaves half of each page free, so a close or a confirm finds room for the new row
//   version on the page of the old one. An order's row is about 1.3 kB (the stored request is most
//   of it), six to a page; orders are stored in the order they arrive and expire in that order, so
//   the sweeper closes every order of a page in one batch, and the page must hold a second version
//   of each. At 70 % only about half the closes found room (the bench's sweeper: 10,452 closes/s,
//   against 18,282 at 50 %). The cost: the table takes about twice the disk.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index payments_processing_expiry`.execute(db);
  await sql`create index payments_expiry on payments (expires_at, id)`.execute(db);
  await sql`drop index payments_with_env`.execute(db);
  await sql`create index payments_with_env on payments (created_at) where request->'order' ? 'env'`.execute(db);
  await sql`alter table payments set (fillfactor = 50)`.execute(db);
  await sql`
    create table expiry_sweep_floor (
      singleton boolean primary key default true check (singleton),
      floor timestamptz not null
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table expiry_sweep_floor`.execute(db);
  await sql`alter table payments reset (fillfactor)`.execute(db);
  await sql`drop index payments_with_env`.execute(db);
  await sql`create index payments_with_env on payments (created_at) where request->'order' ? 'env' and status <> 'PROCESSING'`.execute(db);
  await sql`drop index payments_expiry`.execute(db);
  await sql`create index payments_processing_expiry on payments (expires_at) where status = 'PROCESSING'`.execute(db);
}
