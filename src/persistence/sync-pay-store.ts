/**
 * The SyncPayStore port (§9 payment codes, §10 Auto Debit): ONE statement, on its own.
 *
 * paidOrderStatement: the idempotency claim (INSERT ... ON CONFLICT DO NOTHING, only while the
 * customer row is as the order needs), the payment already SUCCESS with its paymentTime, its history
 * row for being paid (its creation is the payments row itself, as for every order since migration
 * 0041; payment_status_log shows both), its notifyPayment outbox row, and the wallet debit
 * (the PAYMENT transfer debitForPayment would post, as gated CTEs of the same statement: accounts
 * locked in id order, the wallet guarded). Everything hangs off the claim, so a concurrent
 * identical request waits on it and writes nothing. When the wallet cannot cover the debit the
 * statement aborts itself (gatedTransferCheck), claim included, so it runs without BEGIN and
 * COMMIT: one round trip; the use case then records USER_BALANCE_NOT_ENOUGH under the key. When an
 * account the debit needs was never opened (the first payment in a currency), it aborts too and
 * the long path runs once, in a transaction: the same statement without the debit, then the ledger
 * repository's postTransfer, which opens accounts.
 *
 * This statement is separate from the cashier pay's acceptPayStatement on purpose: each can be
 * tuned (and measured with pgbench) without the other.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Payment } from '../domain/payments/payment.ts';
import type { CustomerPrecondition, PaidOrder, PayAttempt, StoredAnswer, SyncPayStore } from '../domain/payments/ports.ts';
import { resultCodeFor } from '../domain/payments/state-machine.ts';
import { walletSurcharge } from '../domain/payments/cashier.ts';
import { DomainError } from '../domain/errors.ts';
import type { TransferRequest } from '../domain/wallet/ledger.ts';
import { paymentDebit } from '../domain/wallet/payment-transfers.ts';
import { gatedTransferCheck, gatedTransferCtes, isGatedTransferAbort, ledgerRepository } from './ledger-repository.ts';
import { payStore } from './pay-store.ts';
import { GROUP_COMMIT, type GroupCommitOptions } from './group-commit.ts';
import { asDate } from './payment-rows.ts';
import type { Database } from './schema.ts';

/** The debit on the long path: the ledger repository's postTransfer, which opens missing accounts. */
const postTransferIn = (trx: Transaction<Database>, debit: TransferRequest) => ledgerRepository(trx).transfer(debit);

/** The paid order as its row reads back (no second read needed). */
function paidPayment(p: PaidOrder): Payment {
  const o = p.order;
  return {
    paymentId: o.paymentId,
    pspId: o.pspId,
    paymentRequestId: o.paymentRequestId,
    customerId: o.customerId,
    status: 'SUCCESS',
    resultCode: resultCodeFor('SUCCESS'),
    paymentAmount: o.paymentAmount,
    payToAmount: o.payToAmount,
    surchargeAmount: o.surchargeAmount,
    debitAmount: o.debitAmount,
    quote: o.quote,
    paymentTime: p.paymentTime,
    expiresAt: o.expiresAt,
    createdAt: o.createdAt,
    request: o.request,
  };
}

/** Part 1 (see the header): claim, paid order, history and outbox row in one statement. */
export function paidOrderStatement(p: PaidOrder, requestHash: string, answer: StoredAnswer, customer: CustomerPrecondition, debit?: TransferRequest) {
  const o = p.order;
  const created = asDate(o.createdAt);
  const paidAt = asDate(p.paymentTime);
  return sql<{ created_id: string | null; transfer_legs?: number }>`
    with claim as (
      insert into pay_requests (psp_id, payment_request_id, request_hash, payment_id, answer, created_at)
      select ${o.pspId}, ${o.paymentRequestId}, ${requestHash}, ${o.paymentId}, ${JSON.stringify(answer.result)}::jsonb, ${created}::timestamptz
       where not exists (select 1 from pay_requests where psp_id = ${o.pspId} and payment_request_id = ${o.paymentRequestId})
         and exists (select 1 from customers
                      where id = ${o.customerId} and status = ${customer.status} and currency = ${customer.currency}::char(3))
      on conflict (psp_id, payment_request_id) do nothing
      returning payment_id
    ), created as (
      insert into payments (id, psp_id, payment_request_id, customer_id, status, result_code,
                            payment_currency, payment_minor, pay_to_currency, pay_to_minor,
                            surcharge_currency, surcharge_minor, debit_minor, quote_id, quote_pair, quote_price,
                            expires_at, payment_time, cashier_token_hash, request, created_at, updated_at)
      select payment_id, ${o.pspId}, ${o.paymentRequestId}, ${o.customerId}, 'SUCCESS', ${resultCodeFor('SUCCESS')},
             ${o.paymentAmount.currency}, ${o.paymentAmount.valueMinor}, ${o.payToAmount.currency}, ${o.payToAmount.valueMinor},
             ${o.surchargeAmount?.currency ?? null}, ${o.surchargeAmount?.valueMinor ?? null}, ${o.debitAmount.valueMinor},
             ${o.quote?.quoteId ?? null}, ${o.quote?.quoteCurrencyPair ?? null}, ${o.quote?.quotePrice ?? null}::numeric,
             ${asDate(o.expiresAt)}::timestamptz, ${paidAt}::timestamptz, ${o.cashierTokenHash}, ${JSON.stringify(o.request)}::jsonb,
             ${created}::timestamptz, ${paidAt}::timestamptz
        from claim
      returning id
    ), history as (
      insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
      select id, 'PROCESSING', 'SUCCESS', ${resultCodeFor('SUCCESS')}, 'SYNCHRONOUS_DEBIT', ${paidAt}::timestamptz from created
    ), outbox as (
      insert into notify_outbox (payment_id, url, body, next_attempt_at, created_at)
      select id, ${p.notification.url ?? null}, ${p.notification.body}, ${paidAt}::timestamptz, ${paidAt}::timestamptz from created
    )${debit ? sql`, ${gatedTransferCtes(debit, 'created')}` : sql``}
    select (select id from created) as created_id${debit ? sql`, ${gatedTransferCheck(debit, 'created')}` : sql``}`;
}

export function syncPayStore(db: Kysely<Database>, options: GroupCommitOptions = GROUP_COMMIT): SyncPayStore {
  const pays = payStore(db, options);
  return {
    lookup: pays.lookup,
    refuse: pays.refuse,
    async payNow(p, requestHash, answer, customer): Promise<PayAttempt> {
      const paid = paidPayment(p);
      const surcharge = walletSurcharge(paid); // the cashier's Pay debits the same way
      const debit = paymentDebit({
        paymentId: paid.paymentId,
        customerId: paid.customerId,
        payToAmount: paid.payToAmount,
        surchargeAmount: surcharge.valueMinor > 0n ? surcharge : undefined,
        at: p.paymentTime,
      });
      let stored: boolean;
      try {
        const { rows } = await paidOrderStatement(p, requestHash, answer, customer, debit).execute(db);
        stored = Boolean(rows[0]?.created_id);
      } catch (err) {
        if (isGatedTransferAbort(err, 'balanceNotEnough')) throw new DomainError('USER_BALANCE_NOT_ENOUGH');
        // First payment of a currency (or a wallet never topped up): the accounts are opened on the long path.
        if (!isGatedTransferAbort(err, 'accountNotOpened')) throw err;
        stored = await db
          .transaction()
          .setIsolationLevel('read committed')
          .execute(async (trx) => {
            const { rows } = await paidOrderStatement(p, requestHash, answer, customer).execute(trx);
            if (!rows[0]?.created_id) return false;
            await postTransferIn(trx, debit);
            return true;
          });
      }
      if (stored) return { payment: paid };
      return { payment: undefined, seen: await pays.lookup(p.order.pspId, p.order.paymentRequestId, p.order.customerId) };
    },
  };
}
