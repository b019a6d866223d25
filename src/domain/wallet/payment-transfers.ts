/**
 * The ledger side of a payment's life, for the cashier (Pay), cancelPayment and refund use cases.
 * Each function runs INSIDE the caller's transaction (it takes the transaction-bound Ledger from
 * the caller's UnitOfWork), posts at most one balanced transfer, and is idempotent on its key:
 *   debitForPayment    'payment:<paymentId>'   wallet -> SETTLEMENT (payToAmount) + SURCHARGE
 *   reverseForPayment  'reversal:<paymentId>'  all the payment still holds -> wallet (§5 cancel)
 *   refundToWallet     'refund:<refundId>'     SETTLEMENT (+ SURCHARGE) -> wallet (§5 refund)
 * Amounts are in the wallet currency (the payment's payToAmount currency, §4).
 */
import { DomainError } from '../errors.ts';
import { addMoney, CurrencyMismatchError, type Money } from '../money.ts';
import { house, type Leg, type LedgerTransfer, sameLegs, type TransferOutcome, type TransferRequest, transferKeys, wallet } from './ledger.ts';
import type { Ledger } from './ports.ts';

const neg = (m: Money): Money => ({ currency: m.currency, valueMinor: -m.valueMinor });

/** Legs moving `main` between SETTLEMENT and the wallet and `surcharge` between SURCHARGE and the wallet. */
function paymentLegs(customerId: string, main: Money, surcharge: Money | undefined, toWallet: boolean): Leg[] {
  if (surcharge && surcharge.currency !== main.currency) throw new CurrencyMismatchError(main.currency, surcharge.currency);
  const sign = (m: Money) => (toWallet ? neg(m) : m);
  const total = surcharge ? addMoney(main, surcharge) : main;
  const legs: Leg[] = [{ account: wallet(customerId), amount: toWallet ? total : neg(total) }];
  if (main.valueMinor !== 0n) legs.push({ account: house('SETTLEMENT'), amount: sign(main) });
  if (surcharge && surcharge.valueMinor !== 0n) legs.push({ account: house('SURCHARGE'), amount: sign(surcharge) });
  return legs;
}

/** The customer and wallet-currency debit of a payment's PAYMENT transfer. */
function debitOf(debit: LedgerTransfer): { customerId: string; currency: Money['currency'] } {
  const leg = debit.legs.find((l) => l.account.kind === 'CUSTOMER_WALLET');
  if (leg?.account.kind !== 'CUSTOMER_WALLET') throw new Error(`payment transfer ${debit.id} has no wallet leg`);
  return { customerId: leg.account.customerId, currency: leg.amount.currency };
}

export interface PaymentDebit {
  readonly paymentId: string;
  readonly customerId: string;
  /** §4 payToAmount, in the wallet currency: what we settle to Alipay+. */
  readonly payToAmount: Money;
  /** §2 surchargeInfo, expressed in the wallet currency: paid on top, kept in SURCHARGE. */
  readonly surchargeAmount?: Money | undefined;
  readonly at: Date;
}

/**
 * §5 cashier Pay: takes payToAmount + surcharge from the wallet. Throws USER_BALANCE_NOT_ENOUGH
 * when the wallet cannot cover it (the caller's transaction must roll back, leaving the order
 * payable). A repeat for the same payment is a no-op returning the first debit.
 */
export function debitForPayment(ledger: Ledger, d: PaymentDebit): Promise<TransferOutcome> {
  return ledger.transfer(paymentDebit(d));
}

/** The PAYMENT transfer of a payment's debit (debitForPayment's, and the synchronous pay's one-statement posting). */
export function paymentDebit(d: PaymentDebit): TransferRequest {
  const total = d.surchargeAmount ? addMoney(d.payToAmount, d.surchargeAmount) : d.payToAmount;
  if (d.payToAmount.valueMinor < 0n || (d.surchargeAmount?.valueMinor ?? 0n) < 0n || total.valueMinor === 0n) {
    throw new RangeError(`payment ${d.paymentId}: nothing to debit (${total.valueMinor})`);
  }
  return {
    kind: 'PAYMENT',
    idempotencyKey: transferKeys.payment(d.paymentId),
    reference: d.paymentId,
    paymentId: d.paymentId,
    legs: paymentLegs(d.customerId, d.payToAmount, d.surchargeAmount, false),
    at: d.at,
  };
}

/**
 * §5 cancelPayment of a SUCCESS payment: gives back, in full, everything the payment still holds
 * (what was paid less what was already refunded). Undefined when there is nothing to give back:
 * never debited, or already refunded in full. A repeat returns the first reversal.
 */
export async function reverseForPayment(ledger: Ledger, r: { readonly paymentId: string; readonly at: Date }): Promise<TransferOutcome | undefined> {
  const debit = await ledger.lockPaymentDebit(r.paymentId);
  if (!debit) return undefined;
  const done = await ledger.findTransfer(transferKeys.reversal(r.paymentId));
  if (done) return { transfer: done, replayed: true };
  const { customerId, currency } = debitOf(debit);
  const held = await ledger.heldForPayment(r.paymentId);
  if (held.settlement === 0n && held.surcharge === 0n) return undefined;
  return ledger.transfer({
    kind: 'REVERSAL',
    idempotencyKey: transferKeys.reversal(r.paymentId),
    reference: r.paymentId,
    paymentId: r.paymentId,
    legs: paymentLegs(customerId, { currency, valueMinor: held.settlement }, { currency, valueMinor: held.surcharge }, true),
    at: r.at,
  });
}

export interface WalletRefund {
  readonly refundId: string;
  readonly paymentId: string;
  /** §5 refundFromAmount: what the user gets back from SETTLEMENT, in the wallet currency. */
  readonly refundFromAmount: Money;
  /** The part of the surcharge given back too, if the refund carries one (wallet currency). */
  readonly surchargeAmount?: Money | undefined;
  readonly at: Date;
}

/**
 * §5 refund: puts `refundFromAmount` (+ surcharge) back in the wallet. Never more than the payment
 * still holds (`REFUND_AMOUNT_EXCEED`; the refunds and the reversal of one payment are serialised
 * on its debit). Not debited -> `ORDER_STATUS_INVALID`. A repeat of the refundId with the same
 * amounts returns the first refund; with others, `REPEAT_REQ_INCONSISTENT`.
 */
export async function refundToWallet(ledger: Ledger, r: WalletRefund): Promise<TransferOutcome> {
  if (r.refundFromAmount.valueMinor <= 0n || (r.surchargeAmount?.valueMinor ?? 0n) < 0n) {
    throw new RangeError(`refund ${r.refundId}: amounts must be positive`);
  }
  const debit = await ledger.lockPaymentDebit(r.paymentId);
  if (!debit) throw new DomainError('ORDER_STATUS_INVALID', `payment ${r.paymentId} was never debited`);
  const { customerId, currency } = debitOf(debit);
  if (r.refundFromAmount.currency !== currency || (r.surchargeAmount && r.surchargeAmount.currency !== currency)) {
    throw new DomainError('CURRENCY_NOT_SUPPORT', `a refund of payment ${r.paymentId} is paid in ${currency}`);
  }
  const legs = paymentLegs(customerId, r.refundFromAmount, r.surchargeAmount, true);
  const key = transferKeys.refund(r.refundId);
  const done = await ledger.findTransfer(key);
  if (done) {
    if (done.paymentId !== r.paymentId || !sameLegs(done.legs, legs)) throw new DomainError('REPEAT_REQ_INCONSISTENT');
    return { transfer: done, replayed: true };
  }
  const held = await ledger.heldForPayment(r.paymentId);
  if (r.refundFromAmount.valueMinor > held.settlement || (r.surchargeAmount?.valueMinor ?? 0n) > held.surcharge) {
    throw new DomainError('REFUND_AMOUNT_EXCEED');
  }
  return ledger.transfer({ kind: 'REFUND', idempotencyKey: key, reference: r.refundId, paymentId: r.paymentId, legs, at: r.at });
}
