/**
 * §4 pay (merchant-presented mode): accept an order idempotently, or refuse it with a final F.
 *
 * Order of the checks:
 *   A. Checks on the request alone (a function of its bytes and the configuration), before any
 *      database work and NOT recorded under the idempotency key (Stripe's rule: a request that
 *      failed validation never started executing, so it does not consume the key; a repeat of the
 *      same bytes gets the same answer anyway):
 *        shape, lengths, booleans, times (http layer)            -> F PARAM_ILLEGAL naming the field
 *        amounts positive                                        -> F PARAM_ILLEGAL
 *        every currency in ISO 4217                              -> F CURRENCY_NOT_SUPPORT
 *        FX consistent (§2, fx.ts), surcharge convertible        -> F PARAM_ILLEGAL
 *   B. Against the customer row and the key (pspId, paymentRequestId), claimed with INSERT ...
 *      ON CONFLICT DO NOTHING; these depend on the account, the configuration and the time, so
 *      their answer is recorded under the key and replayed (a final F is final, §1):
 *        customer exists                                         -> F USER_NOT_EXIST
 *        customer status NORMAL                                  -> F USER_STATUS_ABNORMAL
 *        payToAmount in the customer's wallet currency           -> F CURRENCY_NOT_SUPPORT
 *        single-payment limit of the wallet currency             -> F PAYMENT_AMOUNT_EXCEED_LIMIT
 *        paymentExpiryTime not already past                      -> F ORDER_IS_CLOSED
 *      otherwise the order is stored PROCESSING and the answer is U PAYMENT_IN_PROCESS with
 *      paymentId, paymentUrl and customerId.
 *
 * A repeat (the claim was taken): a different key-field hash -> F REPEAT_REQ_INCONSISTENT; the
 * same -> the first answer while the order is open (the same paymentId and paymentUrl), its final
 * result once it is final. The claim, its answer and the order are written by one statement, so a
 * committed claim always has its answer: a concurrent repeat waits on the claim row, writes
 * nothing, and replays what won. No explicit transaction is needed: a new order and a replay are
 * one round trip each (the same statement), a refusal two.
 *
 * The paymentUrl of an accepted order is stored with the answer (pay_requests.answer), because a
 * replay must give the same link and only the token's SHA-256 is kept on the payment. Trade-off:
 * someone who can read that table can open the cashier of an order still PROCESSING (a few
 * minutes); the link was already handed to Alipay+ in the first answer, and the cashier refuses
 * every order that is not PROCESSING. Deriving the token with an HMAC over the paymentId would
 * avoid storing it, at the cost of a new long-lived secret whose rotation breaks open links.
 */
import { parseIsoInstant } from '../../alipayplus/wire-time.ts';
import { DomainError, ParamIllegal, result, type Result } from '../errors.ts';
import { checkPayToAmount, convert, type Quote, type RoundingModeName } from '../fx.ts';
import { addMoney, requireAmount, type Money } from '../money.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import { hashCashierToken, hashPaymentMethodId, newCashierToken, newTimestampedId, payRequestHash } from './ids.ts';
import { isOverdue, type Payment, type PayRequest, type StoredPayRequest } from './payment.ts';
import type { CustomerPrecondition, NewPayment, PayClaim, PayLookup, PaymentRepos, PayStore } from './ports.ts';
import { closeIfOverdue } from './close-overdue.ts';
import { singlePaymentLimitExceeded } from './limits.ts';
import { paymentResultOf } from './state-machine.ts';

export interface PaySettings {
  readonly orderExpirySeconds: number;
  /** Per wallet currency, in minor units; a currency without an entry has no limit. */
  readonly singlePaymentLimits: Readonly<Record<string, bigint>>;
  readonly fxRoundingMode: RoundingModeName;
  readonly fxToleranceMinor: bigint;
  /** Base of paymentUrl: `${publicBaseUrl}/cashier/<token>`. */
  readonly publicBaseUrl: string;
}

export interface PayDeps {
  readonly store: PayStore;
  /** For the lazy close of an overdue order on replay (closeIfOverdue). */
  readonly uow: UnitOfWork<PaymentRepos>;
  readonly clock: Clock;
  readonly settings: PaySettings;
  /** Injectable for tests; default: newTimestampedId / newCashierToken. */
  readonly ids?: { paymentId(now: Date): string; cashierToken(): string };
}

export type PayAnswer =
  /** Open order: U PAYMENT_IN_PROCESS with its paymentUrl (first answer or replay). */
  | { readonly kind: 'ACCEPTED'; readonly result: Result; readonly payment: Payment; readonly paymentUrl: string }
  /** Replay of an order that is final now: S SUCCESS or F with the reason. */
  | { readonly kind: 'FINAL'; readonly result: Result; readonly payment: Payment }
  /** Refused before an order existed: the final F (first answer or replay). */
  | { readonly kind: 'REFUSED'; readonly result: Result };

/** What phase A derives from the request. */
export interface PreparedPay {
  readonly request: PayRequest;
  readonly requestHash: string;
  readonly paymentAmount: Money;
  readonly payToAmount: Money;
  readonly surchargeAmount: Money | undefined;
  readonly debitAmount: Money;
  readonly paymentExpiryTime: Date | undefined;
}

function positive(m: Money, field: string): Money {
  if (m.valueMinor <= 0n) throw new ParamIllegal(field, 'must be positive');
  return m;
}

/** Phase A: checks on the request alone. Throws ParamIllegal / AmountError / FxError. */
export function preparePay(r: PayRequest, s: Pick<PaySettings, 'fxRoundingMode' | 'fxToleranceMinor'>): PreparedPay {
  requireAmount(r.order.orderAmount, 'order.orderAmount');
  const paymentAmount = positive(requireAmount(r.paymentAmount, 'paymentAmount'), 'paymentAmount.value');
  const payToAmount = positive(requireAmount(r.payToAmount, 'payToAmount'), 'payToAmount.value');
  r.paymentPromoInfo?.paymentPromoDetails.forEach((d, i) => requireAmount(d.savingsAmount, `paymentPromoInfo.paymentPromoDetails.${i}.savingsAmount`));

  // §2 FX: payToAmount = paymentAmount x quotePrice (pair in either order), within the tolerance.
  const fx = checkPayToAmount({
    paymentAmount,
    payToAmount,
    quote: r.paymentQuote,
    rounding: s.fxRoundingMode,
    toleranceMinor: s.fxToleranceMinor,
  });
  if (!fx.ok) throw fx.error;

  // §2 surcharge: paid by the user on top, in the wallet (pay-to) currency.
  let surchargeAmount: Money | undefined;
  let debitAmount = payToAmount;
  if (r.surchargeInfo) {
    surchargeAmount = requireAmount(r.surchargeInfo.surchargeAmount, 'surchargeInfo.surchargeAmount');
    debitAmount = addMoney(payToAmount, surchargeInWalletCurrency(surchargeAmount, payToAmount, paymentAmount, r, s.fxRoundingMode));
  }

  let paymentExpiryTime: Date | undefined;
  if (r.paymentExpiryTime !== undefined) {
    paymentExpiryTime = parseIsoInstant(r.paymentExpiryTime);
    if (!paymentExpiryTime) throw new ParamIllegal('paymentExpiryTime', 'must be ISO 8601 with an offset');
  }
  return { request: r, requestHash: payRequestHash(r), paymentAmount, payToAmount, surchargeAmount, debitAmount, paymentExpiryTime };
}

/**
 * The surcharge in the pay-to currency (our choice, the contract is silent): as is when already in
 * it; else with surchargeQuote when given; else, when it is in the order currency, at the
 * payment's own paymentQuote; else PARAM_ILLEGAL naming surchargeInfo.surchargeQuote.
 */
function surchargeInWalletCurrency(surcharge: Money, payTo: Money, payment: Money, r: PayRequest, rounding: RoundingModeName): Money {
  if (surcharge.currency === payTo.currency) return surcharge;
  const quote: { q: Quote; field: string } | undefined = r.surchargeInfo?.surchargeQuote
    ? { q: r.surchargeInfo.surchargeQuote, field: 'surchargeInfo.surchargeQuote' }
    : surcharge.currency === payment.currency && r.paymentQuote
      ? { q: r.paymentQuote, field: 'paymentQuote' }
      : undefined;
  if (!quote) throw new ParamIllegal('surchargeInfo.surchargeQuote', `required to convert ${surcharge.currency} to ${payTo.currency}`);
  return convert(surcharge, quote.q, payTo.currency, rounding, quote.field);
}

/** The pay request as stored with the order: the payment method id only as its SHA-256. */
export function storedRequest(r: PayRequest): StoredPayRequest {
  const { paymentMethodId, ...method } = r.paymentMethod;
  return { ...r, paymentMethod: { ...method, paymentMethodIdSha256: hashPaymentMethodId(paymentMethodId) } };
}

/**
 * The customer row an order needs: refusalOf's account rules, as the precondition the store
 * checks in the statement that stores the order (so an order is accepted only against the row as
 * it is at that moment). refusalOf stays the one place those rules are written: pay asks it
 * whether a customer like this would be accepted before it tries.
 */
export function customerAccepting(prepared: PreparedPay): CustomerPrecondition {
  return { status: 'NORMAL', currency: prepared.payToAmount.currency };
}

/** Phase B check: the first account/time rule the request breaks, as a final F, or undefined. */
export function refusalOf(
  customer: { status: string; currency: string } | undefined,
  prepared: PreparedPay,
  expiresAt: Date,
  now: Date,
  limits: Readonly<Record<string, bigint>>,
): Result | undefined {
  if (!customer) return result('USER_NOT_EXIST');
  if (customer.status !== 'NORMAL') return result('USER_STATUS_ABNORMAL');
  const wallet = customer.currency;
  if (prepared.payToAmount.currency !== wallet) {
    return result('CURRENCY_NOT_SUPPORT', `payToAmount must be in the wallet currency ${wallet}`);
  }
  const overLimit = singlePaymentLimitExceeded(limits, prepared.debitAmount);
  if (overLimit) return result('PAYMENT_AMOUNT_EXCEED_LIMIT', overLimit);
  if (expiresAt.getTime() <= now.getTime()) return result('ORDER_IS_CLOSED', 'paymentExpiryTime has already passed');
  return undefined;
}

/** The payments row a prepared request makes (the cashier's and the synchronous pay's alike). */
export function newPaymentOf(prepared: PreparedPay, o: { paymentId: string; cashierTokenHash: string; expiresAt: Date; now: Date }): NewPayment {
  const request = prepared.request;
  const q = request.paymentQuote;
  return {
    paymentId: o.paymentId,
    pspId: request.pspId,
    paymentRequestId: request.paymentRequestId,
    customerId: request.paymentMethod.customerId,
    paymentAmount: prepared.paymentAmount,
    payToAmount: prepared.payToAmount,
    surchargeAmount: prepared.surchargeAmount,
    debitAmount: prepared.debitAmount,
    quote: q ? { quoteId: q.quoteId, quoteCurrencyPair: q.quoteCurrencyPair, quotePrice: q.quotePrice } : undefined,
    expiresAt: o.expiresAt,
    createdAt: o.now,
    cashierTokenHash: o.cashierTokenHash,
    request: storedRequest(request),
  };
}

export function payUseCase(deps: PayDeps) {
  const ids = deps.ids ?? { paymentId: newTimestampedId, cashierToken: newCashierToken };
  const { settings } = deps;

  /** The answer to a request whose key was claimed before (by an earlier or a concurrent request). */
  async function replay(claim: PayClaim, prepared: PreparedPay, now: Date): Promise<PayAnswer> {
    if (claim.requestHash !== prepared.requestHash) throw new DomainError('REPEAT_REQ_INCONSISTENT');
    if (!claim.paymentId) return { kind: 'REFUSED', result: claim.answer.result };
    const found = claim.payment;
    if (!found) throw new Error(`payment ${claim.paymentId} of a claim is missing`);
    const payment = isOverdue(found, now) ? await deps.uow.run(({ payments }) => closeIfOverdue(payments, found, now)) : found;
    if (payment.status === 'PROCESSING') {
      if (!claim.answer.paymentUrl) throw new Error('accepted answer without paymentUrl');
      return { kind: 'ACCEPTED', result: claim.answer.result, payment, paymentUrl: claim.answer.paymentUrl };
    }
    return { kind: 'FINAL', result: paymentResultOf(payment), payment };
  }

  /** The order this request makes, with its cashier link. */
  function newOrder(prepared: PreparedPay, expiresAt: Date, now: Date): { order: NewPayment; paymentUrl: string } {
    const token = ids.cashierToken();
    return {
      paymentUrl: `${settings.publicBaseUrl}/cashier/${token}`,
      order: newPaymentOf(prepared, { paymentId: ids.paymentId(now), cashierTokenHash: hashCashierToken(token), expiresAt, now }),
    };
  }

  return {
    /**
     * Phase A runs first (throws). Phase B, usually one statement: when the request itself passes
     * refusalOf's rules for a customer row as an order needs (customerAccepting), the store claims
     * the key and stores the order in one statement, provided the key is new and the customer row
     * really is so. Otherwise, or when it was not, what the store saw decides: an earlier claim is
     * replayed; a customer that fails refusalOf gets its final F recorded under the key. When a
     * concurrent identical request claimed the key first, its committed answer is read and replayed.
     */
    async pay(request: PayRequest): Promise<PayAnswer> {
      const prepared = preparePay(request, settings);
      const now = deps.clock.now();
      const { pspId, paymentRequestId } = request;
      const customerId = request.paymentMethod.customerId;
      const expiresAt = prepared.paymentExpiryTime ?? new Date(now.getTime() + settings.orderExpirySeconds * 1000);
      const required = customerAccepting(prepared);
      const accepted = result('PAYMENT_IN_PROCESS');

      let seen: PayLookup;
      if (refusalOf(required, prepared, expiresAt, now, settings.singlePaymentLimits) === undefined) {
        const { order, paymentUrl } = newOrder(prepared, expiresAt, now);
        const attempt = await deps.store.accept(order, prepared.requestHash, { result: accepted, paymentUrl }, required);
        if (attempt.payment) return { kind: 'ACCEPTED', result: accepted, payment: attempt.payment, paymentUrl };
        seen = attempt.seen;
      } else {
        seen = await deps.store.lookup(pspId, paymentRequestId, customerId);
      }
      if (seen.claim) return replay(seen.claim, prepared, now);

      const refusal = refusalOf(seen.customer, prepared, expiresAt, now, settings.singlePaymentLimits);
      // No refusal here means the customer row met `required` but the key was taken meanwhile.
      if (refusal && (await deps.store.refuse({ pspId, paymentRequestId, requestHash: prepared.requestHash, now }, { result: refusal }))) {
        return { kind: 'REFUSED', result: refusal };
      }
      const winner = await deps.store.lookup(pspId, paymentRequestId, customerId);
      if (!winner.claim) throw new Error('claim vanished'); // cannot happen: the conflicting claim committed
      return replay(winner.claim, prepared, now);
    },
  };
}

export type PayUseCase = ReturnType<typeof payUseCase>;
