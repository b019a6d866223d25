/**
 * §5 inquiryPayment, and the app's view of one payment. Both read without a lock and close an
 * overdue order lazily (the same compare-and-set as the sweeper), so they agree with pay at every
 * moment: an order past its expiry is never reported as in process.
 *
 *   unknown paymentRequestId                      -> F ORDER_NOT_EXIST
 *   refused by pay (no order, a final F recorded) -> S SUCCESS, paymentResult = that F (our choice:
 *                                                    pay and inquiry never disagree)
 *   an order                                      -> S SUCCESS, paymentResult S SUCCESS |
 *                                                    U PAYMENT_IN_PROCESS | F reason; a CANCELLED
 *                                                    payment is F ORDER_IS_CLOSED
 */
import { DomainError, ParamIllegal, type Result } from '../errors.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import { closeIfOverdue } from './close-overdue.ts';
import { isOverdue, type Payment } from './payment.ts';
import type { PaymentQueries, PaymentRepos } from './ports.ts';
import { paymentResultOf } from './state-machine.ts';

/** A page cursor: the last payment's creation time and id, opaque to the app (base64url). */
function encodeCursor(p: Pick<Payment, 'createdAt' | 'paymentId'>): string {
  return Buffer.from(`${p.createdAt.toISOString()}|${p.paymentId}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; paymentId: string } {
  const [at, paymentId] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!paymentId || !/^[A-Za-z0-9_-]{1,64}$/.test(paymentId) || Number.isNaN(createdAt.getTime())) throw new ParamIllegal('cursor', 'not a cursor this service gave');
  return { createdAt, paymentId };
}

export type InquiryAnswer = { readonly payment: Payment; readonly paymentResult: Result } | { readonly payment: undefined; readonly paymentResult: Result };

export interface PaymentReadDeps {
  readonly queries: PaymentQueries;
  readonly uow: UnitOfWork<PaymentRepos>;
  readonly clock: Clock;
}

export function paymentReads(deps: PaymentReadDeps) {
  /** The payment as of now: an overdue open order is closed first. */
  async function current(p: Payment): Promise<Payment> {
    const now = deps.clock.now();
    if (!isOverdue(p, now)) return p;
    return deps.uow.run(({ payments }) => closeIfOverdue(payments, p, now));
  }

  return {
    async inquiryPayment(pspId: string, paymentRequestId: string): Promise<InquiryAnswer> {
      const found = await deps.queries.findByRequestId(pspId, paymentRequestId);
      if (!found) {
        const refusal = await deps.queries.findRefusal(pspId, paymentRequestId);
        if (refusal) return { payment: undefined, paymentResult: refusal };
        throw new DomainError('ORDER_NOT_EXIST');
      }
      const payment = await current(found);
      return { payment, paymentResult: paymentResultOf(payment) };
    },

    /**
     * GET /app/v1/payments: the customer's payments, newest first, `limit` at a time; `cursor` (from
     * the previous page's `nextCursor`) continues after its last one. The app polls it to learn the
     * result of a payment it has no id for (§9: a payment code the merchant scanned).
     */
    async customerPayments(
      customerId: string,
      limit: number,
      cursor?: string,
    ): Promise<{ items: { payment: Payment; paymentResult: Result }[]; nextCursor: string | undefined }> {
      const page = await deps.queries.listByCustomer(customerId, { limit, before: cursor === undefined ? undefined : decodeCursor(cursor) });
      const items = [];
      for (const found of page) {
        const payment = await current(found);
        items.push({ payment, paymentResult: paymentResultOf(payment) });
      }
      const last = page.at(-1);
      return { items, nextCursor: last && page.length === limit ? encodeCursor(last) : undefined };
    },

    /** GET /app/v1/payments/{paymentId}: only the customer's own payment; any other is ORDER_NOT_EXIST. */
    async customerPayment(customerId: string, paymentId: string): Promise<{ payment: Payment; paymentResult: Result }> {
      const found = await deps.queries.findById(paymentId);
      if (!found || found.customerId !== customerId) throw new DomainError('ORDER_NOT_EXIST');
      const payment = await current(found);
      return { payment, paymentResult: paymentResultOf(payment) };
    },
  };
}

export type PaymentReads = ReturnType<typeof paymentReads>;
