import type { Payment } from './payment.ts';

export interface PaymentQueries {
  findByRequestId(pspId: string, paymentRequestId: string): Promise<Payment | undefined>;
}
