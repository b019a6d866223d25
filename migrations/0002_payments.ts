import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// Money is int8 minor units with its currency beside it; the rate is numeric (kept as a string).
// Times are written by the application's clock (server-owned time), never by now() defaults,
// so that expiry, sweeper and history agree with the Clock the use cases were given.
// Every CHECK is evaluated again on each UPDATE (the sweeper closes tens of thousands a second),
// so they hold the state machine's invariants and money shapes, not every format the app checks.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`length(id) between 1 and 64`))
    .addColumn('psp_id', 'text', (c) => c.notNull())
    .addColumn('payment_request_id', 'text', (c) => c.notNull().check(sql`length(payment_request_id) between 1 and 64`))
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('PROCESSING', 'SUCCESS', 'FAILED', 'CLOSED', 'CANCELLED')`))
    .addColumn('result_code', 'text', (c) => c.notNull())
    .addColumn('payment_currency', 'char(3)', (c) => c.notNull().check(sql`payment_currency ~ '^[A-Z]{3}$'`))
    .addColumn('payment_minor', 'int8', (c) => c.notNull().check(sql`payment_minor > 0`))
    .addColumn('pay_to_currency', 'char(3)', (c) => c.notNull().check(sql`pay_to_currency ~ '^[A-Z]{3}$'`))
    .addColumn('pay_to_minor', 'int8', (c) => c.notNull().check(sql`pay_to_minor > 0`))
    // §2 surchargeInfo.surchargeAmount as received, and the user's total debit in the pay-to
    // (wallet) currency: payToAmount plus the surcharge converted (what the cashier shows).
    .addColumn('surcharge_currency', 'char(3)')
    .addColumn('surcharge_minor', 'int8', (c) => c.check(sql`surcharge_minor >= 0`))
    .addColumn('debit_minor', 'int8', (c) => c.notNull())
    .addColumn('quote_id', 'text', (c) => c.check(sql`length(quote_id) between 1 and 64`))
    .addColumn('quote_pair', 'text', (c) => c.check(sql`quote_pair ~ '^[A-Z]{3}/[A-Z]{3}$'`))
    .addColumn('quote_price', 'numeric', (c) => c.check(sql`quote_price > 0`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('payment_time', 'timestamptz')
    // SHA-256 (hex) of the cashier link token; the token itself is never stored here.
    .addColumn('cashier_token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('request', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('payments_psp_request_unique', ['psp_id', 'payment_request_id'])
    // The state machine's invariants, so that no code path can store an impossible payment.
    .addCheckConstraint(
      'payments_result_matches_status',
      sql`(status = 'PROCESSING' and result_code = 'PAYMENT_IN_PROCESS')
       or (status = 'SUCCESS' and result_code = 'SUCCESS')
       or (status in ('CLOSED', 'CANCELLED') and result_code = 'ORDER_IS_CLOSED')
       or (status = 'FAILED' and result_code not in ('SUCCESS', 'PAYMENT_IN_PROCESS'))`,
    )
    .addCheckConstraint('payments_time_iff_paid', sql`(payment_time is not null) = (status in ('SUCCESS', 'CANCELLED'))`)
    .addCheckConstraint('payments_surcharge_both_or_neither', sql`(surcharge_currency is null) = (surcharge_minor is null)`)
    .addCheckConstraint('payments_debit_covers_pay_to', sql`debit_minor >= pay_to_minor`)
    .addCheckConstraint('payments_quote_complete', sql`(quote_pair is null) = (quote_price is null) and (quote_id is null or quote_pair is not null)`)
    .execute();
  // The sweeper's scan: only open orders, by expiry.
  await sql`create index payments_processing_expiry on payments (expires_at) where status = 'PROCESSING'`.execute(db);

  // §4 idempotency on (pspId, paymentRequestId), forever: claimed with INSERT ... ON CONFLICT DO
  // NOTHING in the same transaction as the order. `answer` is the first answer (a final F when the
  // request was refused, the U PAYMENT_IN_PROCESS with its paymentUrl when accepted); it is set in
  // the claiming transaction, so a committed row always has it.
  await db.schema
    .createTable('pay_requests')
    .addColumn('psp_id', 'text', (c) => c.notNull())
    .addColumn('payment_request_id', 'text', (c) => c.notNull().check(sql`length(payment_request_id) between 1 and 64`))
    .addColumn('request_hash', 'text', (c) => c.notNull().check(sql`request_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('payment_id', 'text', (c) => c.unique().references('payments.id'))
    .addColumn('answer', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('pay_requests_pk', ['psp_id', 'payment_request_id'])
    .execute();

  // Append-only audit of every status change (Mojaloop's transferStateChange). The state machine
  // has no cycles, so each status is entered at most once per payment: (payment_id, to_status) is
  // the natural key, and a transition recorded twice is a bug the database refuses.
  await db.schema
    .createTable('payment_status_history')
    .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
    .addColumn('from_status', 'text', (c) => c.check(sql`from_status in ('PROCESSING', 'SUCCESS', 'FAILED', 'CLOSED', 'CANCELLED')`))
    .addColumn('to_status', 'text', (c) => c.notNull().check(sql`to_status in ('PROCESSING', 'SUCCESS', 'FAILED', 'CLOSED', 'CANCELLED')`))
    .addColumn('result_code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) between 1 and 256`))
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    // Only creation has no from_status, and it creates a PROCESSING order.
    .addCheckConstraint('payment_status_history_creation', sql`(from_status is null) = (to_status = 'PROCESSING')`)
    .addPrimaryKeyConstraint('payment_status_history_pk', ['payment_id', 'to_status'])
    .execute();
  await sql`
    create function payment_status_history_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'payment_status_history is append-only';
    end $$`.execute(db);
  await sql`
    create trigger payment_status_history_no_change before update or delete on payment_status_history
    for each row execute function payment_status_history_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('payment_status_history').execute();
  await sql`drop function if exists payment_status_history_append_only()`.execute(db);
  await db.schema.dropTable('pay_requests').execute();
  await db.schema.dropTable('payments').execute();
}
