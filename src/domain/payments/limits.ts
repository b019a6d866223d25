/**
 * The single-payment limit (SINGLE_PAYMENT_LIMITS, per wallet currency, minor units, inclusive):
 * checked by pay on the amount the wallet is debited (F PAYMENT_AMOUNT_EXCEED_LIMIT) and again by
 * the cashier's Pay (F USER_AMOUNT_EXCEED_LIMIT), since the configuration may change in between.
 */
import type { Money } from '../money.ts';

/** Why `debit` is over its currency's limit, or undefined when it is not (or there is none). */
export function singlePaymentLimitExceeded(limits: Readonly<Record<string, bigint>>, debit: Money): string | undefined {
  const limit = limits[debit.currency];
  if (limit === undefined || debit.valueMinor <= limit) return undefined;
  return `single payment limit is ${limit} ${debit.currency} (minor units)`;
}
