import type { CustomerRepository } from '../customers/ports.ts';
import type { Money } from '../money.ts';
import type { LedgerTransfer, TransferOutcome, TransferRequest } from './ledger.ts';

/**
 * The ledger, bound to ONE database transaction (the caller's): a use case gets it from its
 * UnitOfWork, so a payment's state change, its wallet debit and its notification commit or roll
 * back together.
 */
export interface Ledger {
  /**
   * Posts one balanced transfer, claiming its idempotency key first. A repeat of the key with the
   * same kind and legs is a no-op returning the first transfer (`replayed`); with other legs it is
   * `REPEAT_REQ_INCONSISTENT`. A wallet leg that would go negative is `USER_BALANCE_NOT_ENOUGH`
   * (the caller's transaction must then roll back). Accounts are locked in id order.
   */
  transfer(request: TransferRequest): Promise<TransferOutcome>;
  findTransfer(idempotencyKey: string): Promise<LedgerTransfer | undefined>;
  /**
   * The payment's debit, locked (FOR UPDATE) until the transaction ends, so the refunds and the
   * reversal of one payment are decided one at a time. Undefined when it was never debited.
   */
  lockPaymentDebit(paymentId: string): Promise<LedgerTransfer | undefined>;
  /**
   * What the payment's transfers still leave in SETTLEMENT and SURCHARGE, in the payment's wallet
   * currency: what was paid, less what was refunded and reversed.
   */
  heldForPayment(paymentId: string): Promise<{ settlement: bigint; surcharge: bigint }>;
}

/** Reads outside any transaction. */
export interface LedgerQueries {
  /** The wallet balance; 0 when the wallet was never used. */
  balanceOf(customerId: string, currency: string): Promise<bigint>;
}

/** One ops top-up as audited: who (the ops token's label), why, with which key (issue 16). */
export interface TopUpRecord {
  readonly transferId: string;
  readonly customerId: string;
  readonly amount: Money;
  readonly idempotencyKey: string;
  readonly actor: string;
  readonly reason: string;
  readonly createdAt: Date;
}

/** The top-up audit, bound to the top-up's transaction. */
export interface TopUpAudit {
  record(r: TopUpRecord): Promise<void>;
}

/** What the wallet use cases need inside their transaction. */
export interface WalletRepos {
  readonly ledger: Ledger;
  readonly customers: CustomerRepository;
  /** Absent in tests that drive the ledger alone; the service always binds it. */
  readonly topUps?: TopUpAudit;
}
