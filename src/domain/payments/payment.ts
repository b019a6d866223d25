/** A payment as the domain sees it. */
import type { Money } from '../money.ts';
import type { ResultCode } from '../errors.ts';

export type PaymentStatus = 'PROCESSING' | 'SUCCESS' | 'FAILED' | 'CLOSED' | 'CANCELLED';

export interface Payment {
  readonly paymentId: string;
  readonly pspId: string;
  readonly paymentRequestId: string;
  readonly customerId: string;
  readonly status: PaymentStatus;
  /** The result the payment carries now: PAYMENT_IN_PROCESS, SUCCESS or the failure reason. */
  readonly resultCode: ResultCode;
  readonly paymentAmount: Money;
  readonly payToAmount: Money;
  readonly paymentTime: Date | undefined;
  readonly expiresAt: Date;
  /** The request as received (order, merchant, promo, URLs, passThroughInfo). */
  readonly request: Readonly<Record<string, unknown>>;
}
