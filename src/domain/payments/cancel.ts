/**
 * §5 cancelPayment {pspId, acquirerId, paymentRequestId}: succeeds whatever the state.
 *
 *   PROCESSING  -> CLOSED (F ORDER_IS_CLOSED for inquiry), with its notify outbox row
 *   SUCCESS     -> CANCELLED and the wallet reversal in full, in the same transaction
 *   CLOSED, CANCELLED, FAILED -> nothing to do: S (idempotent; a repeat never reverses twice,
 *                  the reversal is keyed by the paymentId too)
 *   unknown     -> S, and the cancel is recorded under the pay key (§5 revision 2, cancel before
 *                  pay): a pay that arrives later with that paymentRequestId finds the key taken
 *                  and is F ORDER_IS_CLOSED, creating and debiting nothing. The key's primary key
 *                  decides a race between the two, on any instance: when the pay claimed it
 *                  first, the cancel goes on with what the pay committed.
 *   a pay refused before an order existed -> S (our choice: nothing was taken, nothing to undo)
 *
 * Window: until 00:30 UTC+8 of the day after the payment (paymentTime; creation for a never-paid
 * order); later -> F CANCEL_WINDOW_EXCEED. A payment already cancelled or closed answers S at
 * any time (the repeat of a cancel that succeeded must not turn into a failure).
 *
 * Every change is a compare-and-set on the payment row (taken first: lock order payment row,
 * ledger transfer, accounts); when one loses (the cashier or the sweeper moved the payment), the
 * committed state is read and handled, at most a few times (PROCESSING -> SUCCESS -> CANCELLED).
 */
import { DateTime } from 'luxon';
import { DomainError } from '../errors.ts';
import { CANCELLED_BEFORE_PAY_HASH } from './ids.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import { reverseForPayment } from '../wallet/payment-transfers.ts';
import type { CashierRepos } from './cashier.ts';
import type { Payment } from './payment.ts';
import type { PaymentQueries } from './ports.ts';

/** §5: 00:30 in UTC+8 of the calendar day (UTC+8) after `from`. */
export function cancelDeadline(from: Date): Date {
  return DateTime.fromJSDate(from, { zone: 'UTC+8' }).startOf('day').plus({ days: 1, minutes: 30 }).toJSDate();
}

export interface CancelAnswer {
  /** The payment after the call; undefined when pay had refused the request (no order). */
  readonly payment: Payment | undefined;
  /** When it was cancelled or closed by this call (absent on a no-op). */
  readonly cancelTime: Date | undefined;
}

export function cancelPaymentUseCase(deps: { queries: PaymentQueries; uow: UnitOfWork<CashierRepos>; clock: Clock }) {
  return {
    async cancelPayment(pspId: string, paymentRequestId: string): Promise<CancelAnswer> {
      const now = deps.clock.now();
      let found = await deps.queries.findByRequestId(pspId, paymentRequestId);
      if (!found) {
        if (await deps.queries.findRefusal(pspId, paymentRequestId)) return { payment: undefined, cancelTime: undefined };
        const key = { pspId, paymentRequestId, requestHash: CANCELLED_BEFORE_PAY_HASH, now };
        if (await deps.uow.run(({ payments }) => payments.recordCancelBeforePay(key))) return { payment: undefined, cancelTime: now };
        // A pay claimed the key in between: its claim is committed, so one of these finds it.
        found = await deps.queries.findByRequestId(pspId, paymentRequestId);
        if (!found) {
          if (await deps.queries.findRefusal(pspId, paymentRequestId)) return { payment: undefined, cancelTime: undefined };
          throw new Error(`pay key ${paymentRequestId} claimed but neither an order nor a refusal`);
        }
      }
      const first = found;
      return deps.uow.run(async ({ payments, ledger }) => {
        let p: Payment = first;
        for (let round = 0; round < 4; round++) {
          if (p.status === 'CLOSED' || p.status === 'CANCELLED' || p.status === 'FAILED') return { payment: p, cancelTime: undefined };
          if (now.getTime() > cancelDeadline(p.paymentTime ?? p.createdAt).getTime()) throw new DomainError('CANCEL_WINDOW_EXCEED');
          if (p.status === 'PROCESSING') {
            const closed = await payments.closePayment(p.paymentId, { now, reason: 'CANCEL_PAYMENT' });
            if (closed) return { payment: closed, cancelTime: now };
          } else {
            const cancelled = await payments.cancelPayment(p.paymentId, { now, reason: 'CANCEL_PAYMENT' });
            if (cancelled) {
              await reverseForPayment(ledger, { paymentId: p.paymentId, at: now });
              return { payment: cancelled, cancelTime: now };
            }
          }
          const latest = await payments.findById(p.paymentId);
          if (!latest) throw new Error(`payment ${p.paymentId} vanished`);
          p = latest;
        }
        throw new Error(`payment ${p.paymentId} kept changing under cancelPayment`);
      });
    },
  };
}

export type CancelPaymentUseCase = ReturnType<typeof cancelPaymentUseCase>;
