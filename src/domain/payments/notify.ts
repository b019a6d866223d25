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

/** The outbox, bound to the transaction that makes the payment final. */
export interface NotifyOutbox {
  /** Queues the notification; false when this payment already has one (nothing changes). */
  enqueue(n: QueuedNotification): Promise<boolean>;
}

/**
 * Builds the §5 body and queues it: call it in the transaction that makes the payment final,
 * with the outbox from the same UnitOfWork.
 */
export function queuePaymentNotification(
  outbox: NotifyOutbox,
  view: NotifyPaymentView,
  o: { readonly paymentNotifyUrl?: string | undefined; readonly at: Date },
): Promise<boolean> {
  const body = JSON.stringify(buildNotifyPaymentBody(view));
  return outbox.enqueue({ paymentId: view.paymentId, url: o.paymentNotifyUrl, body, at: o.at });
}
