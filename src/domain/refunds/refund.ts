/**
 * §5 refund (Alipay+ -> MPP) {pspId, acquirerId, refundRequestId, paymentRequestId, paymentId?,
 * refundAmount, refundFromAmount, refundQuote?, refundPromoInfo?, surchargeInfo?}
 * -> {refundId, refundTime}.
 *
 * Rules, in order, in ONE transaction:
 *   the payment row is locked first (lock order: payment row, ledger transfer, accounts)
 *   claim (pspId, refundRequestId) with INSERT ... ON CONFLICT DO NOTHING; taken: the same key
 *     fields -> the stored answer (no second refund), others -> F REPEAT_REQ_INCONSISTENT
 *   payment CANCELLED -> F ORDER_IS_CLOSED; not SUCCESS -> F ORDER_STATUS_INVALID (our choice)
 *   more than 366 days after paymentTime -> F REFUND_WINDOW_EXCEED
 *   refundAmount in the order currency, refundFromAmount in the wallet currency -> else PARAM_ILLEGAL
 *   refundFromAmount = refundAmount at the payment's OWN quote (config rounding, within the
 *     configured tolerance) -> else F PARAM_ILLEGAL naming refundFromAmount.value
 *   refunds of the payment (this one included) never exceed paymentAmount, nor the wallet
 *     refunds what the payment still holds -> F REFUND_AMOUNT_EXCEED
 *   the wallet gets refundFromAmount (+ the surcharge given back) from SETTLEMENT (+ SURCHARGE)
 * A refused refund rolls back its claim: a retry is decided again (it did not execute).
 */
import { createHash } from 'node:crypto';
import { DomainError, ParamIllegal } from '../errors.ts';
import { convert, type Quote, type RoundingModeName } from '../fx.ts';
import { requireAmount, type Money, type WireAmount } from '../money.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import { canonicalJson, newTimestampedId } from '../payments/ids.ts';
import type { Payment } from '../payments/payment.ts';
import type { PaymentQueries, PaymentRepository } from '../payments/ports.ts';
import { refundToWallet } from '../wallet/payment-transfers.ts';
import type { Ledger } from '../wallet/ports.ts';

export const REFUND_WINDOW_DAYS = 366;

export interface RefundRequest {
  readonly pspId: string;
  readonly acquirerId: string;
  readonly refundRequestId: string;
  readonly paymentRequestId: string;
  readonly paymentId?: string | undefined;
  readonly refundAmount: WireAmount;
  readonly refundFromAmount: WireAmount;
  readonly refundQuote?: Quote | undefined;
  readonly refundPromoInfo?: unknown;
  readonly surchargeInfo?: { readonly surchargeAmount: WireAmount; readonly surchargeQuote?: Quote | undefined } | undefined;
}

export interface RefundAnswer {
  readonly refundId: string;
  readonly refundTime: Date;
}

export interface NewRefund {
  readonly refundId: string;
  readonly pspId: string;
  readonly refundRequestId: string;
  readonly paymentId: string;
  readonly refundAmount: Money;
  readonly refundFromAmount: Money;
  readonly requestHash: string;
  readonly answer: RefundAnswer;
  readonly at: Date;
}

export interface RefundRepository {
  /** Claims the key with the refund; false when (pspId, refundRequestId) is taken. */
  claim(r: NewRefund): Promise<boolean>;
  find(pspId: string, refundRequestId: string): Promise<{ requestHash: string; answer: RefundAnswer } | undefined>;
  /** Sum of refund_minor of the payment's refunds (in this transaction, the new one included). */
  totalRefunded(paymentId: string): Promise<bigint>;
}

export interface RefundRepos {
  readonly payments: PaymentRepository;
  readonly ledger: Ledger;
  readonly refunds: RefundRepository;
}

export interface RefundSettings {
  readonly fxRoundingMode: RoundingModeName;
  readonly fxToleranceMinor: bigint;
}

/** §5 key fields: a repeat changing any of them is REPEAT_REQ_INCONSISTENT. */
export function refundRequestHash(r: RefundRequest): string {
  const key = {
    paymentRequestId: r.paymentRequestId,
    paymentId: r.paymentId,
    refundAmount: r.refundAmount,
    refundFromAmount: r.refundFromAmount,
    surchargeInfo: r.surchargeInfo,
  };
  return createHash('sha256').update(canonicalJson(key), 'utf8').digest('hex');
}

/** §5 "at the payment's own rate": what the wallet gets for `amount` of the order currency. */
export function expectedRefundFrom(p: Payment, amount: Money, rounding: RoundingModeName): Money {
  if (amount.currency === p.payToAmount.currency) return amount;
  if (!p.quote) throw new ParamIllegal('refundAmount.currency', `payment ${p.paymentId} has no quote to convert ${amount.currency}`);
  return convert(amount, p.quote, p.payToAmount.currency, rounding, 'refundAmount');
}

/** The surcharge given back, in the wallet currency (same conversions as pay's surcharge). */
function refundSurcharge(p: Payment, r: RefundRequest, rounding: RoundingModeName): Money | undefined {
  if (!r.surchargeInfo) return undefined;
  const s = requireAmount(r.surchargeInfo.surchargeAmount, 'surchargeInfo.surchargeAmount');
  if (s.valueMinor === 0n) return undefined;
  if (s.currency === p.payToAmount.currency) return s;
  if (r.surchargeInfo.surchargeQuote) return convert(s, r.surchargeInfo.surchargeQuote, p.payToAmount.currency, rounding, 'surchargeInfo.surchargeQuote');
  if (s.currency === p.paymentAmount.currency && p.quote) return convert(s, p.quote, p.payToAmount.currency, rounding, 'surchargeInfo.surchargeAmount');
  throw new ParamIllegal('surchargeInfo.surchargeQuote', `required to convert ${s.currency} to ${p.payToAmount.currency}`);
}

export function refundUseCase(deps: {
  queries: PaymentQueries;
  uow: UnitOfWork<RefundRepos>;
  clock: Clock;
  settings: RefundSettings;
  ids?: { refundId(now: Date): string };
}) {
  const ids = deps.ids ?? { refundId: newTimestampedId };
  return {
    async refund(r: RefundRequest): Promise<RefundAnswer> {
      const refundAmount = requireAmount(r.refundAmount, 'refundAmount');
      const refundFromAmount = requireAmount(r.refundFromAmount, 'refundFromAmount');
      if (refundAmount.valueMinor <= 0n) throw new ParamIllegal('refundAmount.value', 'must be positive');
      if (refundFromAmount.valueMinor <= 0n) throw new ParamIllegal('refundFromAmount.value', 'must be positive');
      const requestHash = refundRequestHash(r);
      const found = await deps.queries.findByRequestId(r.pspId, r.paymentRequestId);
      if (!found || (r.paymentId !== undefined && r.paymentId !== found.paymentId)) throw new DomainError('ORDER_NOT_EXIST');
      const now = deps.clock.now();

      return deps.uow.run(async ({ payments, ledger, refunds }) => {
        const p = await payments.lockPayment(found.paymentId);
        if (!p) throw new DomainError('ORDER_NOT_EXIST');
        const answer: RefundAnswer = { refundId: ids.refundId(now), refundTime: now };
        const claimed = await refunds.claim({
          refundId: answer.refundId,
          pspId: r.pspId,
          refundRequestId: r.refundRequestId,
          paymentId: p.paymentId,
          refundAmount,
          refundFromAmount,
          requestHash,
          answer,
          at: now,
        });
        if (!claimed) {
          const first = await refunds.find(r.pspId, r.refundRequestId);
          if (!first) throw new Error(`refund claim ${r.refundRequestId} vanished`);
          if (first.requestHash !== requestHash) throw new DomainError('REPEAT_REQ_INCONSISTENT');
          return first.answer;
        }

        if (p.status === 'CANCELLED') throw new DomainError('ORDER_IS_CLOSED', 'the payment was cancelled');
        if (p.status !== 'SUCCESS' || !p.paymentTime) throw new DomainError('ORDER_STATUS_INVALID', `payment is ${p.status}`);
        if (now.getTime() > p.paymentTime.getTime() + REFUND_WINDOW_DAYS * 86_400_000) throw new DomainError('REFUND_WINDOW_EXCEED');
        if (refundAmount.currency !== p.paymentAmount.currency) {
          throw new ParamIllegal('refundAmount.currency', `must be the payment currency ${p.paymentAmount.currency}`);
        }
        if (refundFromAmount.currency !== p.payToAmount.currency) {
          throw new ParamIllegal('refundFromAmount.currency', `must be the wallet currency ${p.payToAmount.currency}`);
        }
        const expected = expectedRefundFrom(p, refundAmount, deps.settings.fxRoundingMode);
        const diff = refundFromAmount.valueMinor - expected.valueMinor;
        const tolerance = refundAmount.currency === refundFromAmount.currency ? 0n : deps.settings.fxToleranceMinor;
        if ((diff < 0n ? -diff : diff) > tolerance) {
          throw new ParamIllegal('refundFromAmount.value', `expected ${expected.valueMinor} ${expected.currency} at the payment's rate`);
        }
        if ((await refunds.totalRefunded(p.paymentId)) > p.paymentAmount.valueMinor) throw new DomainError('REFUND_AMOUNT_EXCEED');
        await refundToWallet(ledger, {
          refundId: answer.refundId,
          paymentId: p.paymentId,
          refundFromAmount,
          surchargeAmount: refundSurcharge(p, r, deps.settings.fxRoundingMode),
          at: now,
        });
        return answer;
      });
    },
  };
}

export type RefundUseCase = ReturnType<typeof refundUseCase>;
