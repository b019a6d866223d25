/**
 * §4 expiry, lazily: an order past its expiry that the sweeper has not reached yet is closed here
 * with the same compare-and-set, so pay, inquiry, the cashier and the sweeper agree at every
 * moment. When another transaction won the race, its committed state is read back.
 */
import { isOverdue, type Payment } from './payment.ts';
import type { PaymentRepository } from './ports.ts';

export async function closeIfOverdue(payments: PaymentRepository, p: Payment, now: Date): Promise<Payment> {
  if (!isOverdue(p, now)) return p;
  const closed = await payments.closePayment(p.paymentId, { now, reason: 'EXPIRED' });
  if (closed) return closed;
  const current = await payments.findById(p.paymentId);
  if (!current) throw new Error(`payment ${p.paymentId} vanished`);
  return current;
}
