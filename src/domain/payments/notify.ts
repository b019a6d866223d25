/**
 * §5 notifyPayment (MPP -> Alipay+): sent when a payment reaches a final state, never for U.
 * The body is built here, once, when the final state is reached, and written to the outbox in the
 * SAME transaction as the state change (so a crash between the change and the send loses nothing);
 * the notify dispatcher delivers it at least once.
 *
 * One notification per payment (the outbox is unique on paymentId): a payment is notified when it
 * first becomes final (SUCCESS, or closed/failed). A later cancel of a successful payment is
 * Alipay+'s own cancelPayment call, answered synchronously; it is not notified again.
 */
import { RESULT_CATALOG, type ResultCode } from '../errors.ts';
import { formatMoney, type Money } from '../money.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import type { FinalPayment } from './payment.ts';

/** What a payment must tell to build its notification (the pay/cashier code maps its Payment to this). */
export interface NotifyPaymentView {
  readonly paymentId: string;
  readonly paymentRequestId: string;
  readonly customerId: string;
  /** The final result: SUCCESS, or the failure reason (e.g. ORDER_IS_CLOSED). Never a U code. */
  readonly resultCode: ResultCode;
  readonly paymentAmount: Money;
  readonly payToAmount: Money;
  /** When the payment succeeded; sent only with SUCCESS. */
  readonly paymentTime?: Date | undefined;
  /** §2 carried through as received in pay. */
  readonly paymentPromoInfo?: unknown;
}

/** The §5 notifyPayment body (wire names; every scalar a string; optional fields omitted). */
export interface NotifyPaymentBody {
  readonly paymentResult: { readonly resultCode: string; readonly resultStatus: 'S' | 'F'; readonly resultMessage: string };
  readonly paymentRequestId: string;
  readonly paymentId: string;
  readonly paymentTime?: string;
  readonly paymentAmount: { readonly currency: string; readonly value: string };
  readonly payToAmount: { readonly currency: string; readonly value: string };
  readonly customerId: string;
  readonly paymentPromoInfo?: unknown;
}

export function buildNotifyPaymentBody(v: NotifyPaymentView): NotifyPaymentBody {
  const entry = RESULT_CATALOG[v.resultCode];
  if (entry.status === 'U') throw new RangeError(`notifyPayment is only for a final result, not ${v.resultCode}`);
  const success = v.resultCode === 'SUCCESS';
  if (success && !v.paymentTime) throw new RangeError(`payment ${v.paymentId} succeeded without a paymentTime`);
  return {
    paymentResult: { resultCode: v.resultCode, resultStatus: entry.status, resultMessage: entry.message },
    paymentRequestId: v.paymentRequestId,
    paymentId: v.paymentId,
    ...(success && v.paymentTime ? { paymentTime: isoWithOffset(v.paymentTime) } : {}),
    paymentAmount: formatMoney(v.paymentAmount),
    payToAmount: formatMoney(v.payToAmount),
    customerId: v.customerId,
    ...(v.paymentPromoInfo !== undefined && v.paymentPromoInfo !== null ? { paymentPromoInfo: v.paymentPromoInfo } : {}),
  };
}

export interface QueuedNotification {
  readonly paymentId: string;
  /** The payment's paymentNotifyUrl; absent means Alipay+'s notifyPayment endpoint, resolved when sending. */
  readonly url?: string | undefined;
  /** The exact JSON to send. */
  readonly body: string;
  readonly at: Date;
}

/** The §5 notification of a payment that has just become final, due at `at`. */
export function notificationOf(p: FinalPayment, at: Date): QueuedNotification {
  const body = buildNotifyPaymentBody({
    paymentId: p.paymentId,
    paymentRequestId: p.paymentRequestId,
    customerId: p.customerId,
    resultCode: p.resultCode,
    paymentAmount: p.paymentAmount,
    payToAmount: p.payToAmount,
    paymentTime: p.paymentTime,
    paymentPromoInfo: p.paymentPromoInfo,
  });
  return { paymentId: p.paymentId, url: p.paymentNotifyUrl, body: JSON.stringify(body), at };
}

/**
 * The port every PROCESSING -> final change goes through (sweeper batch, lazy close, cashier,
 * cancel): bound to the transaction that makes the payments final, so the notification commits
 * with the change. One notification per payment: a payment already queued is left as it is.
 */
export interface NotifyOutbox {
  queue(payments: readonly FinalPayment[], now: Date): Promise<void>;
}

/** A queued notification claimed for one delivery attempt. */
export interface ClaimedNotification {
  readonly id: bigint;
  readonly paymentId: string;
  readonly url: string | null;
  readonly body: string;
  /** This attempt's number (1 for the first): the fence for recording its outcome. */
  readonly attempt: number;
  readonly createdAt: Date;
}

export type NotificationOutcome =
  | { readonly kind: 'delivered'; readonly at: Date }
  | { readonly kind: 'retry'; readonly at: Date; readonly nextAttemptAt: Date; readonly error: string }
  | { readonly kind: 'gave-up'; readonly at: Date; readonly error: string };

export interface OutboxBacklog {
  readonly pending: number;
  readonly oldestPendingCreatedAt: Date | undefined;
  readonly failed: number;
}

/** The dispatcher's port: the outbox as a queue of due notifications. */
export interface NotificationQueue {
  /**
   * Claims up to `limit` due notifications (bounded batch) and leases them until `now + leaseMs`;
   * ones without a URL of their own only when the default endpoint is configured.
   */
  claimDue(o: { now: Date; limit: number; leaseMs: number; defaultEndpoint: boolean }): Promise<ClaimedNotification[]>;
  /** Records an attempt's outcome, only if no later attempt has claimed it since (fenced). */
  record(n: Pick<ClaimedNotification, 'id' | 'attempt'>, outcome: NotificationOutcome): Promise<boolean>;
  /** What is waiting and what was given up on (for /metrics). */
  backlog(): Promise<OutboxBacklog>;
}
