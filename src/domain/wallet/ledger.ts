/**
 * The wallet ledger (issue 5 point 1): double entry, every movement of money is one balanced
 * transfer of two or more legs, keyed by a unique idempotency key.
 *
 * Sign convention: a leg adds its signed amount to its account's balance.
 *   CUSTOMER_WALLET  what the user owns; never negative (the database refuses it too).
 *   FUNDING          where top-ups come from, one per currency; goes negative by every top-up.
 *   SETTLEMENT       what we owe Alipay+, one per currency: the payToAmount of paid payments,
 *                    less reversals and refunds (§2: "what we settle to Alipay+ is payToAmount").
 *   SURCHARGE        the surcharge users paid on top of payToAmount, one per currency (§2: the
 *                    user pays it on top; it is not settled to Alipay+, so it is kept apart).
 * Each transfer sums to zero per currency, so per currency:
 *   sum(wallets) + SETTLEMENT + SURCHARGE = total top-ups = -FUNDING.
 */
import type { Money } from '../money.ts';

export type AccountKind = 'CUSTOMER_WALLET' | 'SETTLEMENT' | 'FUNDING' | 'SURCHARGE';
export type HouseAccountKind = Exclude<AccountKind, 'CUSTOMER_WALLET'>;
export type TransferKind = 'TOP_UP' | 'PAYMENT' | 'REVERSAL' | 'REFUND';

/** An account named by what it is; the repository finds (or opens) it in the leg's currency. */
export type AccountRef = { readonly kind: 'CUSTOMER_WALLET'; readonly customerId: string } | { readonly kind: HouseAccountKind };

export const wallet = (customerId: string): AccountRef => ({ kind: 'CUSTOMER_WALLET', customerId });
export const house = (kind: HouseAccountKind): AccountRef => ({ kind });

/** One side of a transfer: `amount.valueMinor` is signed (negative takes money out of the account). */
export interface Leg {
  readonly account: AccountRef;
  readonly amount: Money;
}

export interface TransferRequest {
  readonly kind: TransferKind;
  readonly idempotencyKey: string;
  /** What the transfer is for, for people reading the journal (top-up key, payment id, refund id). */
  readonly reference: string;
  /** The payment a PAYMENT, REVERSAL or REFUND belongs to; absent for a TOP_UP. */
  readonly paymentId?: string | undefined;
  readonly legs: readonly Leg[];
  readonly at: Date;
}

export interface PostedLeg extends Leg {
  readonly accountId: string;
  /** The account's balance right after this transfer (only on the first posting, not on a replay). */
  readonly balanceAfter?: bigint;
}

export interface LedgerTransfer {
  readonly id: string;
  readonly kind: TransferKind;
  readonly idempotencyKey: string;
  readonly reference: string;
  readonly paymentId: string | undefined;
  readonly createdAt: Date;
  readonly legs: readonly PostedLeg[];
}

export interface TransferOutcome {
  readonly transfer: LedgerTransfer;
  /** True when the idempotency key was already used by an identical transfer: nothing moved. */
  readonly replayed: boolean;
}

/** The idempotency keys of the transfers (unique in ledger_transfers). */
export const transferKeys = {
  topUp: (key: string) => `topup:${key}`,
  payment: (paymentId: string) => `payment:${paymentId}`,
  reversal: (paymentId: string) => `reversal:${paymentId}`,
  refund: (refundId: string) => `refund:${refundId}`,
} as const;

export function accountKey(ref: AccountRef): string {
  return ref.kind === 'CUSTOMER_WALLET' ? `CUSTOMER_WALLET:${ref.customerId}` : ref.kind;
}

/** A programming error: a transfer that does not balance never reaches the database. */
export class UnbalancedTransfer extends Error {
  constructor(detail: string) {
    super(`unbalanced ledger transfer: ${detail}`);
    this.name = 'UnbalancedTransfer';
  }
}

/**
 * Double entry: at least two legs, none zero, one leg per account and currency, and the legs of
 * each currency sum to zero. The database checks the sum again (migration 0048's triggers).
 */
export function assertBalanced(legs: readonly Leg[]): void {
  if (legs.length < 2) throw new UnbalancedTransfer(`${legs.length} leg(s), at least 2 are needed`);
  const sums = new Map<string, bigint>();
  const seen = new Set<string>();
  for (const leg of legs) {
    if (leg.amount.valueMinor === 0n) throw new UnbalancedTransfer(`zero leg on ${accountKey(leg.account)}`);
    const key = `${accountKey(leg.account)}/${leg.amount.currency}`;
    if (seen.has(key)) throw new UnbalancedTransfer(`two legs on ${key}`);
    seen.add(key);
    sums.set(leg.amount.currency, (sums.get(leg.amount.currency) ?? 0n) + leg.amount.valueMinor);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0n) throw new UnbalancedTransfer(`${currency} legs sum to ${sum}`);
  }
}

/** Same legs (account, currency, amount) in any order: a repeat of the same request. */
export function sameLegs(a: readonly Leg[], b: readonly Leg[]): boolean {
  const canon = (legs: readonly Leg[]) =>
    legs
      .map((l) => `${accountKey(l.account)}/${l.amount.currency}/${l.amount.valueMinor}`)
      .sort()
      .join('|');
  return canon(a) === canon(b);
}
