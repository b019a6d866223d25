/**
 * The notifyPayment outbox (migration 0005). `enqueueNotification` runs in the transaction that
 * makes a payment final; the dispatcher claims due rows with FOR UPDATE SKIP LOCKED, leases them
 * (pushes next_attempt_at past the send) and commits BEFORE going to the network, then records the
 * outcome fenced by the attempt number, so a slow or crashed sender never overwrites a newer one.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import {
  type ClaimedNotification,
  type NotificationOutcome,
  type NotificationQueue,
  type NotifyOutbox,
  notificationOf,
  type OutboxBacklog,
  type QueuedNotification,
} from '../domain/payments/notify.ts';

import type { Db, Database } from './schema.ts';

/**
 * Claims up to `limit` due rows (bounded batch) and leases them until `now + leaseMs`, in one
 * statement: rows another instance holds are skipped, not waited for. Rows without a URL of their
 * own are claimed only when the default endpoint is configured (otherwise they stay queued).
 */
export async function claimDueNotifications(db: Db, o: { now: Date; limit: number; leaseMs: number; defaultEndpoint: boolean }): Promise<ClaimedNotification[]> {
  const leaseUntil = new Date(o.now.getTime() + o.leaseMs);
  const rows = await sql<{ id: bigint; payment_id: string; url: string | null; body: string; attempts: number; created_at: Date }>`
    with due as (
      select id from notify_outbox
      where delivered_at is null and failed_at is null and next_attempt_at <= ${o.now}
        and (url is not null or ${o.defaultEndpoint})
      order by next_attempt_at
      limit ${o.limit}
      for update skip locked
    )
    update notify_outbox n
       set attempts = n.attempts + 1, next_attempt_at = ${leaseUntil}, last_attempt_at = ${o.now}
      from due where n.id = due.id
    returning n.id, n.payment_id, n.url, n.body, n.attempts, n.created_at`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    paymentId: r.payment_id,
    url: r.url,
    body: r.body,
    attempt: r.attempts,
    createdAt: r.created_at,
  }));
}

/** Records an attempt's outcome, only if no later attempt has claimed the row since (fenced). */
export async function recordNotificationOutcome(db: Db, n: Pick<ClaimedNotification, 'id' | 'attempt'>, o: NotificationOutcome): Promise<boolean> {
  const base = db.updateTable('notify_outbox').where('id', '=', n.id).where('attempts', '=', n.attempt).where('delivered_at', 'is', null).where('failed_at', 'is', null);
  const set =
    o.kind === 'delivered'
      ? { delivered_at: o.at, last_error: null }
      : o.kind === 'retry'
        ? { next_attempt_at: o.nextAttemptAt, last_error: o.error.slice(0, 500) }
        : { failed_at: o.at, last_error: o.error.slice(0, 500) };
  const r = await base.set(set).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** For /metrics: what is waiting (by the partial index) and what was given up on. */
export async function outboxBacklog(db: Db): Promise<OutboxBacklog> {
  const r = await sql<{ pending: bigint; oldest: Date | null; failed: bigint }>`
    select
      (select count(*) from notify_outbox where delivered_at is null and failed_at is null)::int8 as pending,
      (select min(created_at) from notify_outbox where delivered_at is null and failed_at is null) as oldest,
      (select count(*) from notify_outbox where failed_at is not null)::int8 as failed`.execute(db);
  const row = r.rows[0];
  return {
    pending: Number(row?.pending ?? 0n),
    oldestPendingCreatedAt: row?.oldest ?? undefined,
    failed: Number(row?.failed ?? 0n),
  };
}

/**
 * §5 notifyPayment "written in the same transaction" as the final state: the domain's NotifyOutbox
 * port, bound to that transaction. The notifications (built by the domain's notificationOf) go in
 * ONE multi-row INSERT ... ON CONFLICT DO NOTHING (the sweeper closes up to its batch size at
 * once), due at `now`, to the payment's paymentNotifyUrl when it gave one.
 */
export function notifyOutbox(trx: Transaction<Database>): NotifyOutbox {
  return {
    queue: (payments, now) =>
      insertNotifications(
        trx,
        payments.map((p) => notificationOf(p, now)),
      ),
  };
}

/**
 * Queues notifications (one per payment; a payment already queued is left as it is). The rows go
 * as ONE json parameter that Postgres reads with json_to_recordset, not as a VALUES list of five
 * parameters a row (the sweeper queues up to its batch size at once: a 500-row VALUES list was 2,500
 * parameters to compile, send and parse) nor as one text array a column: pg escapes each element of
 * an array in JavaScript, two regular expressions over every body, which was a fifth of the
 * sweeper's Node time, where JSON.stringify escapes them natively (docs/performance.md, tenth round).
 */
export async function insertNotifications(trx: Transaction<Database>, ns: readonly QueuedNotification[]): Promise<void> {
  if (ns.length === 0) return;
  const rows = JSON.stringify(ns.map((n) => ({ payment_id: n.paymentId, url: n.url ?? null, body: n.body, at: n.at.toISOString() })));
  await sql`
    insert into notify_outbox (payment_id, url, body, next_attempt_at, created_at)
    select payment_id, url, body, at, at
      from json_to_recordset(${rows}::json) as n(payment_id text, url text, body text, at timestamptz)
    on conflict (payment_id) do nothing`.execute(trx);
}

/** The dispatcher's NotificationQueue port over the outbox table. */
export function notificationQueue(db: Kysely<Database>): NotificationQueue {
  return {
    claimDue: (o) => claimDueNotifications(db, o),
    record: (n, outcome) => recordNotificationOutcome(db, n, outcome),
    backlog: () => outboxBacklog(db),
  };
}
