import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
//
// Issue 20: a statement that finds, halfway, that it must not commit (the synchronous pay's debit
// when the wallet cannot cover it) aborts itself with mpp_abort(sqlstate, message): the error rolls
// back the whole statement, so it can run on its own (autocommit, one round trip) instead of
// inside BEGIN ... COMMIT (three). The caller tells the reasons apart by the SQLSTATE.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function mpp_abort(sqlstate text, message text) returns int4 language plpgsql volatile as $$
    begin
      raise exception using errcode = sqlstate, message = message;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function mpp_abort(text, text)`.execute(db);
}
