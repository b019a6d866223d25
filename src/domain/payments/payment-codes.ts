/**
 * §9 user-presented mode: the app asks for payment codes for its logged-in user; we get them from
 * Alipay+ (getPaymentCode, signed) and hand them on with their expiry. The merchant then scans one
 * and Alipay+ calls our pay with inStorePaymentScenario "PaymentCode" (sync-pay.ts).
 *
 * A frozen or unknown customer gets no code (USER_STATUS_ABNORMAL / USER_NOT_EXIST): a code is a
 * promise to pay, so it is refused where the pay would be.
 */
import { requireUsable } from '../customers/customer.ts';
import type { CustomerRepository } from '../customers/ports.ts';

export interface PaymentCodeRequest {
  readonly customerId: string;
  /** ISO 3166 alpha-2: where the user says they pay. */
  readonly region?: string | undefined;
  /** 1 to 10 (Alipay+'s range); Alipay+ gives 1 when absent. */
  readonly codeQuantity?: number | undefined;
  /** Device information from the app, passed through as Alipay+'s `env`. */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

export interface PaymentCode {
  readonly codeValue: string;
  readonly expiresAt: Date;
}

/**
 * Alipay+'s getPaymentCode. Throws DependencyUnavailable when Alipay+ cannot be reached or gives
 * no provable answer, DomainError when it refuses.
 */
export interface PaymentCodeGateway {
  getPaymentCode(r: PaymentCodeRequest): Promise<readonly PaymentCode[]>;
}

export function paymentCodeUseCase(deps: { customers: Pick<CustomerRepository, 'find'>; gateway: PaymentCodeGateway }) {
  return {
    async issue(r: PaymentCodeRequest): Promise<readonly PaymentCode[]> {
      requireUsable(await deps.customers.find(r.customerId));
      return deps.gateway.getPaymentCode(r);
    },
  };
}

export type PaymentCodeUseCase = ReturnType<typeof paymentCodeUseCase>;
