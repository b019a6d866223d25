/**
 * §5 cashier (paymentUrl): what the page shows and what its Pay and Cancel buttons do.
 *
 *   show    the payment behind the link token; an overdue open order is closed first (the same
 *           lazy close as inquiry), so a page opened after expiry says so.
 *   pay     ONE transaction: compare-and-set PROCESSING -> SUCCESS while not expired (payment row
 *           first), then the wallet debit of payToAmount + surcharge (ledger, keyed by paymentId),
 *           then the notify outbox row (the repository's final hook). Insufficient funds
 *           (USER_BALANCE_NOT_ENOUGH), a frozen user (USER_STATUS_ABNORMAL) or a user limit
 *           (USER_AMOUNT_EXCEED_LIMIT) throw: the transaction rolls back and the order stays
 *           payable until it expires (our choice, §5).
 *   cancel  compare-and-set PROCESSING -> CLOSED (F ORDER_IS_CLOSED) with its outbox row.
 *
 * Only the payment's own customer can act (§5 "the cashier knows who pays"): pay and cancel take
 * the session's customerId (undefined without a session) and refuse anyone else with
 * ACCESS_DENIED before anything changes; the link token only finds the payment. A
 * replayed form cannot debit twice: the compare-and-set lets exactly one change leave PROCESSING
 * and the debit is idempotent on the paymentId; a POST after the result shows the final state.
 */
import { requireUsable } from '../customers/customer.ts';
import type { CustomerRepository } from '../customers/ports.ts';
import { DomainError } from '../errors.ts';
import { subtractMoney } from '../money.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import { debitForPayment } from '../wallet/payment-transfers.ts';
import type { Ledger } from '../wallet/ports.ts';
import { closeIfOverdue } from './close-overdue.ts';
import { singlePaymentLimitExceeded } from './limits.ts';
import type { PaySettings } from './pay.ts';
import type { Payment } from './payment.ts';
import type { PaymentQueries, PaymentRepository } from './ports.ts';

export interface CashierRepos {
  readonly payments: PaymentRepository;
  readonly ledger: Ledger;
  readonly customers: CustomerRepository;
}

export interface CashierDeps {
  readonly queries: PaymentQueries;
  readonly uow: UnitOfWork<CashierRepos>;
  readonly clock: Clock;
  /** The single-payment limits, re-checked at Pay (the configuration may have changed since pay). */
  readonly settings: Pick<PaySettings, 'singlePaymentLimits'>;
}

export interface CashierOutcome {
  readonly payment: Payment;
  /** True when this call made the change; false when the payment was already final (a replay). */
  readonly changed: boolean;
}

/** The surcharge in the wallet currency: what the user pays on top of payToAmount (debit - payTo). */
export function walletSurcharge(p: Payment) {
  return subtractMoney(p.debitAmount, p.payToAmount);
}

export function cashierUseCases(deps: CashierDeps) {
  async function find(token: string): Promise<Payment> {
    const found = await deps.queries.findByCashierToken(token);
    if (!found) throw new DomainError('ORDER_NOT_EXIST');
    return found;
  }

  /** The payment, when `payerId` is its customer; holding the link is not enough. */
  async function findAsPayer(token: string, payerId: string | undefined): Promise<Payment> {
    const p = await find(token);
    if (payerId === undefined || p.customerId !== payerId) throw new DomainError('ACCESS_DENIED', "only the payment's customer can act on it");
    return p;
  }

  /** The committed state after a compare-and-set lost: expiry first, then whatever won. */
  async function current(payments: PaymentRepository, p: Payment, now: Date): Promise<Payment> {
    const latest = (await payments.findById(p.paymentId)) ?? p;
    return closeIfOverdue(payments, latest, now);
  }

  return {
    async show(token: string): Promise<Payment> {
      const p = await find(token);
      const now = deps.clock.now();
      if (p.status !== 'PROCESSING' || p.expiresAt.getTime() > now.getTime()) return p;
      return deps.uow.run(({ payments }) => closeIfOverdue(payments, p, now));
    },

    async pay(token: string, payerId: string | undefined): Promise<CashierOutcome> {
      const p = await findAsPayer(token, payerId);
      const now = deps.clock.now();
      return deps.uow.run(async ({ payments, ledger, customers }) => {
        if (p.status !== 'PROCESSING') return { payment: p, changed: false };
        requireUsable(await customers.find(p.customerId));
        const overLimit = singlePaymentLimitExceeded(deps.settings.singlePaymentLimits, p.debitAmount);
        if (overLimit) throw new DomainError('USER_AMOUNT_EXCEED_LIMIT', overLimit);
        // Lock order: the payment row (compare-and-set), then the ledger transfer, then accounts.
        const paid = await payments.completePayment(p.paymentId, { now, paymentTime: now, reason: 'USER_CONFIRMED' });
        if (!paid) return { payment: await current(payments, p, now), changed: false };
        const surcharge = walletSurcharge(paid);
        await debitForPayment(ledger, {
          paymentId: paid.paymentId,
          customerId: paid.customerId,
          payToAmount: paid.payToAmount,
          surchargeAmount: surcharge.valueMinor > 0n ? surcharge : undefined,
          at: now,
        });
        return { payment: paid, changed: true };
      });
    },

    async cancel(token: string, payerId: string | undefined): Promise<CashierOutcome> {
      const p = await findAsPayer(token, payerId);
      const now = deps.clock.now();
      return deps.uow.run(async ({ payments }) => {
        if (p.status !== 'PROCESSING') return { payment: p, changed: false };
        const settled = await closeIfOverdue(payments, p, now);
        if (settled.status !== 'PROCESSING') return { payment: settled, changed: false };
        const closed = await payments.closePayment(p.paymentId, { now, reason: 'USER_CANCELLED' });
        if (!closed) return { payment: await current(payments, p, now), changed: false };
        return { payment: closed, changed: true };
      });
    },
  };
}

export type CashierUseCases = ReturnType<typeof cashierUseCases>;
