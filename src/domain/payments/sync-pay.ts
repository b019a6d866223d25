/**
 * §9 payment codes and §10 Auto Debit: the pay that debits at once. Alipay+ calls the same `pay`;
 * `payScenarioOf` tells which payment it is (§4 "which payment it is"), and these two are answered
 * synchronously, never with a paymentUrl:
 *
 *   S SUCCESS  with paymentId and paymentTime: the order, its history, the wallet debit and the
 *              notifyPayment outbox row committed together (one transaction);
 *   F <reason> the §4 checks (the same phase A and refusalOf as the cashier's pay), the wallet's
 *              USER_BALANCE_NOT_ENOUGH, and for Auto Debit the token's INVALID_TOKEN /
 *              EXPIRED_ACCESS_TOKEN; every F but the token's and phase A's is recorded under the
 *              key, so a retry gets it again (and inquiry reports it);
 *   U          when our outcome is unknown (a database error or timeout: the error mapper's
 *              U UNKNOWN_EXCEPTION); the transaction either committed or did not, so the inquiry
 *              Alipay+ makes next reports the truth, and a retry pays at most once.
 *
 * Idempotency is pay's (§4): the key is (pspId, paymentRequestId), claimed in the statement that
 * stores the order, so a repeat, concurrent or later, replays the first outcome (the payment's
 * current result: a later cancelPayment makes it F ORDER_IS_CLOSED, as inquiry says) and a repeat
 * with other key fields is F REPEAT_REQ_INCONSISTENT. A key cancelPayment took before the pay
 * arrived (§5 revision 2) is F ORDER_IS_CLOSED: nothing stored, nothing debited. cancelPayment and refund work on these
 * payments as on any other (cancel.ts reverses a SUCCESS in full).
 *
 * The token check of an agreement pay comes first (a revoked token pays nothing), but a repeat of
 * a request that was already answered replays that answer even when the token has been revoked
 * since: the retry of a lost answer must not turn an S into an F. The check (agreementTokenRefusal,
 * tokens/token.ts) runs in the statement that claims the key and debits the wallet, so an Auto
 * Debit pay costs one round trip as a payment-code pay does; a pay refused before that statement
 * (an amount over the limit, say) checks its token first through the token use cases.
 */
import { DomainError, result } from '../errors.ts';
import type { Clock } from '../ports.ts';
import { hashCashierToken, newCashierToken, newTimestampedId } from './ids.ts';
import { notificationOf } from './notify.ts';
import { customerAccepting, newPaymentOf, type PayAnswer, type PaySettings, preparePay, refusalOf, refusedClaim } from './pay.ts';
import { finalPaymentOf, type Payment, type PayRequest } from './payment.ts';
import type { PayClaim, PayLookup, SyncPayAttempt, SyncPayStore } from './ports.ts';
import { secretHash } from '../tokens/token.ts';
import { paymentResultOf } from './state-machine.ts';

/** Which payment a pay request is (§4): Auto Debit, a user-presented payment code, or the cashier's. */
export type PayScenario = 'AGREEMENT' | 'PAYMENT_CODE' | 'CASHIER';

export function payScenarioOf(r: Pick<PayRequest, 'paymentFactor'>): PayScenario {
  if (r.paymentFactor.isAgreementPayment === 'true') return 'AGREEMENT';
  if (r.paymentFactor.inStorePaymentScenario === 'PaymentCode') return 'PAYMENT_CODE';
  return 'CASHIER';
}

export interface SyncPayDeps {
  readonly store: SyncPayStore;
  /** §10: the token of an agreement pay, checked by the token use cases (one rule, one place). */
  readonly agreements: { authorizeAgreementPay(accessToken: string, customerId: string): Promise<unknown> };
  readonly clock: Clock;
  readonly settings: PaySettings;
  readonly ids?: { paymentId(now: Date): string };
}

export function syncPayUseCase(deps: SyncPayDeps) {
  const { settings } = deps;
  const paymentId = deps.ids?.paymentId ?? newTimestampedId;

  function replay(claim: PayClaim, requestHash: string): PayAnswer {
    const refused = refusedClaim(claim, requestHash); // pay's rules: cancelled before pay, other key fields, a recorded F
    if (refused) return refused;
    if (!claim.payment) throw new Error(`payment ${claim.paymentId} of a claim is missing`);
    return { kind: 'FINAL', result: paymentResultOf(claim.payment), payment: claim.payment };
  }

  return {
    /** A §9 PaymentCode or §10 agreement pay: S, F or U, never a paymentUrl. */
    async pay(request: PayRequest): Promise<PayAnswer> {
      const prepared = preparePay(request, settings);
      const now = deps.clock.now();
      const { pspId, paymentRequestId } = request;
      const customerId = request.paymentMethod.customerId;

      const expiresAt = prepared.paymentExpiryTime ?? new Date(now.getTime() + settings.orderExpirySeconds * 1000);
      const required = customerAccepting(prepared);
      const refuse = async (seen: PayLookup): Promise<PayAnswer> => {
        if (seen.claim) return replay(seen.claim, prepared.requestHash);
        const refusal = refusalOf(seen.customer, prepared, expiresAt, now, settings.singlePaymentLimits);
        if (!refusal) throw new Error('synchronous pay neither stored nor refused'); // the key was taken meanwhile: read below
        return recordRefusal(refusal);
      };
      const recordRefusal = async (refusal: ReturnType<typeof result>): Promise<PayAnswer> => {
        if (await deps.store.refuse({ pspId, paymentRequestId, requestHash: prepared.requestHash, now }, { result: refusal })) {
          return { kind: 'REFUSED', result: refusal };
        }
        const winner = await deps.store.lookup(pspId, paymentRequestId, customerId);
        if (!winner.claim) throw new Error('claim vanished');
        return replay(winner.claim, prepared.requestHash);
      };

      // A token that cannot pay: the answer already given under the key, or the token's F (not recorded).
      const tokenRefused = (seen: PayLookup, refusal: unknown): PayAnswer => {
        if (seen.claim) return replay(seen.claim, prepared.requestHash);
        throw refusal;
      };

      const agreement = payScenarioOf(request) === 'AGREEMENT';
      if (refusalOf(required, prepared, expiresAt, now, settings.singlePaymentLimits) !== undefined) {
        if (agreement) {
          try {
            await deps.agreements.authorizeAgreementPay(request.paymentMethod.paymentMethodId, customerId);
          } catch (err) {
            return tokenRefused(await deps.store.lookup(pspId, paymentRequestId, customerId), err);
          }
        }
        return refuse(await deps.store.lookup(pspId, paymentRequestId, customerId));
      }
      const order = newPaymentOf(prepared, { paymentId: paymentId(now), cashierTokenHash: hashCashierToken(newCashierToken()), expiresAt, now });
      const paid: Payment = { ...order, status: 'SUCCESS', resultCode: 'SUCCESS', paymentTime: now };
      const { url, body } = notificationOf(finalPaymentOf(paid), now);
      const agreementTokenHash = agreement ? secretHash(request.paymentMethod.paymentMethodId) : undefined;
      let attempt: SyncPayAttempt;
      try {
        attempt = await deps.store.payNow(
          { order, paymentTime: now, notification: { url, body } },
          prepared.requestHash,
          { result: result('SUCCESS') },
          required,
          agreementTokenHash,
        );
      } catch (err) {
        // §9: not enough money is a final F, recorded under the key like any refusal.
        if (err instanceof DomainError && err.code === 'USER_BALANCE_NOT_ENOUGH') return recordRefusal(result('USER_BALANCE_NOT_ENOUGH'));
        throw err;
      }
      if (attempt.payment) return { kind: 'FINAL', result: result('SUCCESS'), payment: attempt.payment };
      if (attempt.tokenRefusal) return tokenRefused(attempt.seen, new DomainError(attempt.tokenRefusal));
      if (attempt.seen.claim || refusalOf(attempt.seen.customer, prepared, expiresAt, now, settings.singlePaymentLimits)) return refuse(attempt.seen);
      // A concurrent identical request claimed the key first: its committed answer is replayed.
      return refuse(await deps.store.lookup(pspId, paymentRequestId, customerId));
    },
  };
}

export type SyncPayUseCase = ReturnType<typeof syncPayUseCase>;
