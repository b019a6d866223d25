/** §5 inquiryPayment: unknown -> F ORDER_NOT_EXIST; otherwise S SUCCESS with the payment's result. */
import { DomainError, result, type Result } from '../errors.ts';
import type { Payment } from './payment.ts';
import type { PaymentQueries } from './ports.ts';

export interface InquiryAnswer {
  readonly payment: Payment;
  readonly paymentResult: Result;
}

export async function inquiryPayment(q: PaymentQueries, pspId: string, paymentRequestId: string): Promise<InquiryAnswer> {
  const payment = await q.findByRequestId(pspId, paymentRequestId);
  if (!payment) throw new DomainError('ORDER_NOT_EXIST');
  // §5: a successful payment later cancelled is reported as F ORDER_IS_CLOSED.
  const code = payment.status === 'CANCELLED' ? 'ORDER_IS_CLOSED' : payment.resultCode;
  return { payment, paymentResult: result(code) };
}
