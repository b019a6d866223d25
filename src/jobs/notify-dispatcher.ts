/**
 * §5 notifyPayment dispatcher: delivers the outbox at least once.
 *
 * Each runOnce(now): claim a bounded batch of due rows (FOR UPDATE SKIP LOCKED) and lease them in
 * one committed statement, send them concurrently OUTSIDE any transaction through the signed
 * Alipay+ client, then record each outcome (fenced by the attempt number). Only an answer with a
 * valid Alipay+ signature and `result.resultStatus = "S"` counts as delivered; anything else is
 * retried with exponential backoff and full jitter (base 5 s, cap 10 min) until the row is 7 days
 * old, then marked failed for good (kept, counted in /metrics). All state is in Postgres, so a
 * restart resumes where it stopped, and any number of instances can run it: a row leased by one
 * is skipped by the others until its lease (longer than a send can take) runs out.
 */
import type { AlipayPlusCallResult, AlipayPlusClient } from '../alipayplus/client.ts';
import type { ClaimedNotification, NotificationOutcome, NotificationQueue } from '../domain/payments/notify.ts';
import type { Logger } from '../domain/ports.ts';
import type { Job } from './loop.ts';

export type AttemptOutcome = 'delivered' | 'refused' | 'bad_signature' | 'malformed' | 'http_error' | 'network_error' | 'timeout' | 'gave_up';

export interface RetryPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A row older than this when an attempt fails is given up on. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseDelayMs: 5_000,
  maxDelayMs: 10 * 60_000,
  giveUpAfterMs: 7 * 24 * 3_600_000,
};

/**
 * Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))), with a
 * floor of 1 s so a failing receiver is never hammered in a tight loop.
 */
export function retryDelayMs(attempt: number, random: () => number, p: RetryPolicy = DEFAULT_RETRY): number {
  const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(1_000, Math.floor(random() * ceiling));
}

export interface NotifyDispatcherOptions {
  readonly queue: NotificationQueue;
  readonly client: Pick<AlipayPlusClient, 'notifyPayment' | 'configured'>;
  /**
   * Rows per batch (sent concurrently). Default 64: runOnce waits for every send of its batch, so
   * the batch bounds one instance's deliveries a second (the notify bench scenario: 264 and 322 a
   * second with 20, 604 and 851 with 64, CPU-bound then), which must keep up with the synchronous
   * pays' notifications (docs/performance.md, "The eighth round").
   */
  readonly batchSize?: number;
  /** How long a claimed row is hidden from other instances; must exceed a send's timeout. Default 60 s. */
  readonly leaseMs?: number;
  readonly retry?: RetryPolicy;
  /** [0, 1); injected so tests can pin the jitter. */
  readonly random?: () => number;
  readonly onAttempt?: (outcome: AttemptOutcome) => void;
  readonly log?: Logger;
}

function classify(r: AlipayPlusCallResult): { outcome: Exclude<AttemptOutcome, 'gave_up'>; error?: string } {
  switch (r.kind) {
    case 'answered':
      return r.result.resultStatus === 'S' ? { outcome: 'delivered' } : { outcome: 'refused', error: `answered ${r.result.resultStatus} ${r.result.resultCode}` };
    case 'bad-signature':
      return { outcome: 'bad_signature', error: `answer not signed by Alipay+: ${r.reason}` };
    case 'malformed-answer':
      return { outcome: 'malformed', error: `malformed answer: ${r.reason}` };
    case 'http-error':
      return { outcome: 'http_error', error: `HTTP ${r.status}` };
    case 'network-error':
      return { outcome: 'network_error', error: `network: ${r.error.message}` };
    case 'timeout':
      return { outcome: 'timeout', error: 'timed out' };
    case 'not-configured':
      return { outcome: 'network_error', error: 'no notify URL configured' };
    case 'refused-url':
      return { outcome: 'network_error', error: `not sent: ${r.reason}` };
  }
}

export function notifyDispatcher(o: NotifyDispatcherOptions): Job {
  const batchSize = o.batchSize ?? 64;
  const leaseMs = o.leaseMs ?? 60_000;
  const retry = o.retry ?? DEFAULT_RETRY;
  const random = o.random ?? Math.random;

  async function deliver(n: ClaimedNotification, now: Date): Promise<void> {
    const { outcome, error } = classify(await o.client.notifyPayment(n.body, n.url));
    let record: NotificationOutcome;
    if (outcome === 'delivered') {
      record = { kind: 'delivered', at: now };
    } else if (now.getTime() - n.createdAt.getTime() >= retry.giveUpAfterMs) {
      record = { kind: 'gave-up', at: now, error: error ?? outcome };
    } else {
      record = { kind: 'retry', at: now, nextAttemptAt: new Date(now.getTime() + retryDelayMs(n.attempt, random, retry)), error: error ?? outcome };
    }
    const recorded = await o.queue.record(n, record);
    o.onAttempt?.(record.kind === 'gave-up' ? 'gave_up' : outcome);
    const ctx = { paymentId: n.paymentId, attempt: n.attempt, recorded };
    if (record.kind === 'delivered') o.log?.info(ctx, 'notifyPayment delivered');
    else if (record.kind === 'gave-up') o.log?.warn({ ...ctx, error }, 'notifyPayment given up after the retry horizon');
    else o.log?.warn({ ...ctx, error, nextAttemptAt: record.nextAttemptAt }, 'notifyPayment not delivered; will retry');
  }

  return {
    name: 'notify-dispatcher',
    async runOnce(now) {
      const batch = await o.queue.claimDue({ now, limit: batchSize, leaseMs, defaultEndpoint: o.client.configured });
      // Concurrent sends: the batch finishes within one timeout, well inside the lease.
      await Promise.all(batch.map((n) => deliver(n, now)));
      return batch.length;
    },
  };
}
