import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// An order's creation is recorded by its payments row: every order is created PROCESSING with
// PAYMENT_IN_PROCESS at created_at (the state machine has no other way in), and created_at never
// changes. From here on, pay stores no history row for it (docs/performance.md: about a quarter
// of pay's statement in Postgres); payment_status_history keeps every change after creation,
// append-only, one row per status entered, as before. payment_status_log is the whole audit in
// one place: the creation from the payments row (unless an older creation row is in the history,
// written before this migration) and every history row.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create view payment_status_log as
    select p.id::text as payment_id, null::text as from_status, 'PROCESSING'::text as to_status,
           'PAYMENT_IN_PROCESS'::text as result_code, 'ACCEPTED'::text as reason, p.created_at as changed_at
      from payments p
     where not exists (select 1 from payment_status_history h where h.payment_id = p.id and h.to_status = 'PROCESSING')
    union all
    select h.payment_id::text, h.from_status::text, h.to_status::text, h.result_code::text, h.reason::text, h.changed_at
      from payment_status_history h`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop view payment_status_log`.execute(db);
}
