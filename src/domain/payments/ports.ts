/** What the payment use cases need from storage. Implemented in src/persistence/payments-repository.ts. */
import type { Customer } from '../customers/customer.ts';
import type { CustomerRepository } from '../customers/ports.ts';
import type { Result } from '../errors.ts';
import type { Money } from '../money.ts';
import type { FinalPayment, Payment, PaymentStatus, StoredPayRequest, StoredQuote } from './payment.ts';
import type { ResultCode } from '../errors.ts';
import type { AccessTokenRefusal } from '../tokens/token.ts';

/** Reads outside a transaction (no lock): inquiry, the app, the cashier page. */
export interface PaymentQueries {
  findByRequestId(pspId: string, paymentRequestId: string): Promise<Payment | undefined>;
  findById(paymentId: string): Promise<Payment | undefined>;
  /** The payment a cashier link token belongs to (looked up by the token's SHA-256). */
  findByCashierToken(token: string): Promise<Payment | undefined>;
  /** The final F a pay request was refused with (no order was created), if it was. */
  findRefusal(pspId: string, paymentRequestId: string): Promise<Result | undefined>;
  /** The customer's payments, newest first (createdAt, then paymentId, descending), after `before` when given. */
  listByCustomer(customerId: string, o: { limit: number; before?: { createdAt: Date; paymentId: string } | undefined }): Promise<Payment[]>;
}

/** The first answer stored under the idempotency key (§4). */
export interface StoredAnswer {
  readonly result: Result;
  /** The accepted answer's cashier link (see pay.ts on why it is stored). */
  readonly paymentUrl?: string | undefined;
}

/** The idempotency key of a pay request and what is claimed under it (§4). */
export interface PayKey {
  readonly pspId: string;
  readonly paymentRequestId: string;
  /** SHA-256 of the request's key fields: a repeat with another hash is REPEAT_REQ_INCONSISTENT. */
  readonly requestHash: string;
  readonly now: Date;
}

/** A committed claim: its first answer, and its order unless the request was refused. */
export interface PayClaim {
  readonly requestHash: string;
  readonly paymentId: string | undefined;
  readonly answer: StoredAnswer;
  readonly payment: Payment | undefined;
}

export interface PayLookup {
  readonly claim: PayClaim | undefined;
  readonly customer: Customer | undefined;
}

/** The customer row an order needs (pay.ts, customerAccepting): checked in the statement that stores it. */
export interface CustomerPrecondition {
  readonly status: 'NORMAL';
  readonly currency: string;
}

/** The order stored, or what the statement saw instead: an earlier claim, or the customer. */
export type PayAttempt = { readonly payment: Payment } | { readonly payment: undefined; readonly seen: PayLookup };

/** A synchronous pay's PayAttempt, and for an Auto Debit pay whose token cannot pay, why (then nothing was written). */
export type SyncPayAttempt =
  | { readonly payment: Payment }
  | { readonly payment: undefined; readonly seen: PayLookup; readonly tokenRefusal: AccessTokenRefusal | undefined };

/**
 * pay's storage (§4), outside any transaction: each call is one statement, so a new order or a
 * replay costs one round trip.
 */
export interface PayStore {
  /** The claim of (pspId, paymentRequestId) with its order, and the customer, in one read. */
  lookup(pspId: string, paymentRequestId: string, customerId: string): Promise<PayLookup>;
  /**
   * When the key is unclaimed and the customer row meets `customer`: claims the key and stores
   * the PROCESSING order (which is its own creation record) and `answer` under the key, atomically.
   * Otherwise writes nothing and returns what it saw, as `lookup` would have.
   */
  accept(p: NewPayment, requestHash: string, answer: StoredAnswer, customer: CustomerPrecondition): Promise<PayAttempt>;
  /** Claims the key with a final refusal (no order); false when the key was claimed already. */
  refuse(key: PayKey, answer: StoredAnswer): Promise<boolean>;
}

export interface NewPayment {
  readonly paymentId: string;
  readonly pspId: string;
  readonly paymentRequestId: string;
  readonly customerId: string;
  readonly paymentAmount: Money;
  readonly payToAmount: Money;
  readonly surchargeAmount: Money | undefined;
  readonly debitAmount: Money;
  readonly quote: StoredQuote | undefined;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly cashierTokenHash: string;
  readonly request: StoredPayRequest;
}

export interface StatusChange {
  readonly from: PaymentStatus;
  readonly to: PaymentStatus;
  readonly now: Date;
  /** Why, for the audit history: EXPIRED, USER_CONFIRMED, USER_CANCELLED, CANCEL_PAYMENT... */
  readonly reason: string;
  /** Required when `to` is FAILED: the failure reason the payment will carry. */
  readonly failure?: ResultCode;
  /** Set on SUCCESS: when the user paid. */
  readonly paymentTime?: Date;
  /** Only while the order has not expired at this time (confirming must never beat expiry). */
  readonly onlyIfOpenAt?: Date;
}

/**
 * A place in the §4 expiry sweep's walk: orders in the order of expiry, then paymentId. The expiry
 * is the database's, to the microsecond (ISO 8601, UTC), so that a walk can start right at an
 * order of a crowd that expires in the same millisecond.
 */
export interface SweepPosition {
  readonly expiresAt: string;
  readonly paymentId: string;
}

/** Whether `a` comes before `b` in the walk (both read from the database, so of the same format). */
export const sweepsBefore = (a: SweepPosition, b: SweepPosition): boolean => a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.paymentId < b.paymentId);

/** The stretch of the walk one batch of the sweep may close: from `from` (inclusive) to `before` (exclusive); either end open when absent. */
export interface SweepStretch {
  readonly from?: SweepPosition;
  readonly before?: SweepPosition;
}

/** One batch of the §4 expiry sweep (PaymentRepository.closeOverdue). */
export interface SweepBatch {
  readonly closed: FinalPayment[];
  readonly firstOpen: SweepPosition | undefined;
}

/**
 * The payments of one transaction. Every change is a compare-and-set on the current status with
 * its history row in the same transaction; a change that lost the race returns undefined.
 */
export interface PaymentRepository extends PaymentQueries {
  /** PROCESSING -> SUCCESS while not expired at `now` (the cashier's Pay). */
  completePayment(paymentId: string, o: { now: Date; paymentTime?: Date; reason?: string }): Promise<Payment | undefined>;
  /** PROCESSING -> CLOSED with F ORDER_IS_CLOSED (expiry, the cashier's Cancel, cancelPayment). */
  closePayment(paymentId: string, o: { now: Date; reason: string }): Promise<Payment | undefined>;
  /** SUCCESS -> CANCELLED (cancelPayment of a paid order; the reversal is the caller's). */
  cancelPayment(paymentId: string, o: { now: Date; reason: string }): Promise<Payment | undefined>;
  /**
   * Closes up to `limit` PROCESSING orders whose expiry is at or before `now` (and, given a
   * stretch, at or after its `from` and before its `before` in the order of expiry, then
   * paymentId), skipping rows another transaction holds (FOR UPDATE SKIP LOCKED), with one history
   * row each. Returns what the final hook got, and the first order still PROCESSING at or after
   * `from` once the batch is done (none: undefined), which is where the next batch may start.
   */
  closeOverdue(now: Date, limit: number, stretch?: SweepStretch): Promise<SweepBatch>;
  /**
   * Where the next `count` batches of `every` orders start after the one that starts at `from`:
   * the overdue PROCESSING orders number every + 1, 2 × every + 1, ... of the walk from `from`
   * (fewer when fewer are overdue). Locks nothing.
   */
  sweepStarts(now: Date, every: number, count: number, from?: SweepPosition): Promise<SweepPosition[]>;
  /** The sweeper's floor as last saved by any instance (none yet: undefined). */
  sweepFloor(): Promise<Date | undefined>;
  /** Saves a sweeper's floor; a floor below the saved one leaves it as it is. */
  saveSweepFloor(floor: Date): Promise<void>;
  /**
   * The payment, its row locked (FOR UPDATE) until the transaction ends: refund takes it before
   * the ledger (lock order: payment row, then ledger transfer, then accounts).
   */
  lockPayment(paymentId: string): Promise<Payment | undefined>;
  /**
   * §5 revision 2, cancel before pay: claims the pay key (pspId, paymentRequestId) with a final
   * F ORDER_IS_CLOSED and no order, as a pay refusal is claimed; false when the key was claimed
   * already (a pay got there first).
   */
  recordCancelBeforePay(key: PayKey): Promise<boolean>;
}

/** The repositories a pay transaction works with. */
export interface PaymentRepos {
  readonly payments: PaymentRepository;
  readonly customers: CustomerRepository;
}

/** A synchronous pay's order (§9, §10): paid at once, with the notification its final state queues. */
export interface PaidOrder {
  readonly order: NewPayment;
  readonly paymentTime: Date;
  /** The notifyPayment body of the paid order (§5, recommended for user-presented payments too). */
  readonly notification: { readonly url?: string | undefined; readonly body: string };
}

/**
 * The synchronous pay's storage (§9, §10): the claim, the SUCCESS payment with its history, the
 * notify outbox row and the wallet debit commit together or not at all.
 */
export interface SyncPayStore {
  lookup(pspId: string, paymentRequestId: string, customerId: string): Promise<PayLookup>;
  /**
   * When the key is unclaimed and the customer row meets `customer`: claims it with `answer`,
   * stores the paid order and debits the wallet (payToAmount to SETTLEMENT, the rest to
   * SURCHARGE), in one transaction. Throws USER_BALANCE_NOT_ENOUGH (nothing is written) when the
   * wallet cannot cover it. Otherwise writes nothing and returns what it saw.
   * `agreementTokenHash`, for a §10 Auto Debit pay: the hash of the access token it names, checked
   * in the same statement (agreementTokenRefusal, tokens/token.ts); a token that cannot pay
   * writes nothing and is returned as `tokenRefusal`.
   */
  payNow(p: PaidOrder, requestHash: string, answer: StoredAnswer, customer: CustomerPrecondition, agreementTokenHash?: string): Promise<SyncPayAttempt>;
  refuse(key: PayKey, answer: StoredAnswer): Promise<boolean>;
}
