/**
 * The payment state machine (§4, §5), one table and one `transition(from, to)`:
 *
 *   PROCESSING -> SUCCESS    the user confirmed in the cashier before expiry
 *   PROCESSING -> FAILED     a final failure other than closing (e.g. a risk refusal)
 *   PROCESSING -> CLOSED     expiry (sweeper or lazily on read), user Cancel, cancelPayment
 *   SUCCESS    -> CANCELLED  cancelPayment reversed it in full
 *
 * Refunds are tracked separately and do not change the status. There are no cycles, so every
 * status is entered at most once per payment (the history table enforces it with a unique key).
 * The repository applies a transition with a compare-and-set on the current status, so confirm,
 * cancel and expiry can never both win.
 */
import { RESULT_CATALOG, result, type Result, type ResultCode } from '../errors.ts';
import type { PaymentStatus } from './payment.ts';

export const PAYMENT_STATUSES: readonly PaymentStatus[] = ['PROCESSING', 'SUCCESS', 'FAILED', 'CLOSED', 'CANCELLED'];

export const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = Object.freeze({
  PROCESSING: Object.freeze(['SUCCESS', 'FAILED', 'CLOSED'] as const),
  SUCCESS: Object.freeze(['CANCELLED'] as const),
  FAILED: Object.freeze([] as const),
  CLOSED: Object.freeze([] as const),
  CANCELLED: Object.freeze([] as const),
});

export class IllegalTransition extends Error {
  constructor(
    readonly from: PaymentStatus,
    readonly to: PaymentStatus,
  ) {
    super(`illegal payment transition ${from} -> ${to}`);
    this.name = 'IllegalTransition';
  }
}

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Returns `to` when the move is in the table; throws IllegalTransition otherwise. */
export function transition(from: PaymentStatus, to: PaymentStatus): PaymentStatus {
  if (!canTransition(from, to)) throw new IllegalTransition(from, to);
  return to;
}

/** Final for Alipay+ (§5: S or F, never U): everything but PROCESSING. */
export function isFinal(status: PaymentStatus): boolean {
  return status !== 'PROCESSING';
}

/**
 * The result code a payment carries in each status (the schema's CHECK mirrors this). FAILED
 * carries the failure reason given when it failed.
 */
export function resultCodeFor(status: Exclude<PaymentStatus, 'FAILED'>): ResultCode;
export function resultCodeFor(status: 'FAILED', failure: ResultCode): ResultCode;
export function resultCodeFor(status: PaymentStatus, failure?: ResultCode): ResultCode {
  switch (status) {
    case 'PROCESSING':
      return 'PAYMENT_IN_PROCESS';
    case 'SUCCESS':
      return 'SUCCESS';
    case 'CLOSED':
    case 'CANCELLED': // §5: a successful payment later cancelled is reported as F ORDER_IS_CLOSED
      return 'ORDER_IS_CLOSED';
    case 'FAILED':
      if (!failure || RESULT_CATALOG[failure].status !== 'F') throw new Error('FAILED needs a final (F) failure code');
      return failure;
  }
}

/** The paymentResult of §5 (inquiry, notify and a final pay replay agree on it). */
export function paymentResultOf(p: { status: PaymentStatus; resultCode: ResultCode }): Result {
  return p.status === 'FAILED' ? result(p.resultCode) : result(resultCodeFor(p.status));
}
