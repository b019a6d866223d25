/** The wallet's users. A customer's balance lives in the wallet ledger (domain/wallet). */
import { DomainError, ParamIllegal } from '../errors.ts';
import { isCurrency } from '../money.ts';

export type CustomerStatus = 'NORMAL' | 'FROZEN';

export interface Customer {
  readonly id: string;
  readonly status: CustomerStatus;
  /** ISO 4217 code of the wallet currency: payToAmount must be in it (§4). */
  readonly currency: string;
  readonly createdAt: Date;
}

export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function validateNewCustomer(input: { id: string; currency: string; status: CustomerStatus }): void {
  if (!CUSTOMER_ID_PATTERN.test(input.id)) throw new ParamIllegal('customerId', 'letters, digits, _ or -, 1 to 64');
  if (!isCurrency(input.currency)) throw new ParamIllegal('currency', 'not an ISO 4217 currency');
}

/** Raised by use cases that need an existing, normal customer. */
/**
 * The status requireUsable lets through, for a store that checks it in the same statement as the
 * work it guards (applyToken's redemption of a code).
 */
export const USABLE_STATUS = 'NORMAL' satisfies CustomerStatus;

export function requireUsable(c: Customer | undefined): Customer {
  if (!c) throw new DomainError('USER_NOT_EXIST');
  if (c.status !== USABLE_STATUS) throw new DomainError('USER_STATUS_ABNORMAL');
  return c;
}
