/**
 * The SyncPayStore port (§9 payment codes, §10 Auto Debit): ONE statement for all the pays that
 * arrive together (group commit, group-commit.ts), each caller getting its own pay's outcome.
 *
 * paidOrdersStatement, for every pay of the batch: for an Auto Debit pay, its access token's check
 * (§10, agreementTokenRefusalSql: a token that cannot pay claims nothing, and the row says why),
 * the idempotency claim (INSERT ... ON CONFLICT DO NOTHING, only while the customer row is as the
 * order needs), the payment already SUCCESS with its paymentTime, its history row for being paid
 * (its creation is the payments row itself, as for every order since migration 0041;
 * payment_status_log shows both), its notifyPayment outbox row, and the wallet debit (the PAYMENT
 * transfer debitForPayment would post, as gated CTEs of the same statement: the batch's legs
 * summed per account, accounts locked in id order, each wallet guarded). Everything hangs off the
 * claim, so a concurrent identical request waits on it and writes nothing. When a wallet cannot
 * cover its debits the statement aborts itself (gatedTransfersCheck), claims included, so it runs
 * without BEGIN and COMMIT: one round trip; a batch that aborts is written again pay by pay, and
 * the pay that is short alone gets the abort: the use case then records USER_BALANCE_NOT_ENOUGH
 * under the key. When an account the debit needs was never opened (the first payment in a
 * currency), it aborts too and the long path runs once, in a transaction: the same statement
 * without the debit, then the ledger repository's postTransfer, which opens accounts.
 *
 * It shares the cashier pay's order columns and claim (pay-store.ts: orderArrays, CLAIM_CTE), so
 * both claim keys in one order; the rest is separate from acceptPayStatement on purpose: each can
 * be tuned (and measured with pgbench) without the other.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Payment } from '../domain/payments/payment.ts';
import type { CustomerPrecondition, PaidOrder, StoredAnswer, SyncPayAttempt, SyncPayStore } from '../domain/payments/ports.ts';
import type { AccessTokenRefusal } from '../domain/tokens/token.ts';
import { resultCodeFor } from '../domain/payments/state-machine.ts';
import { walletSurcharge } from '../domain/payments/cashier.ts';
import { DomainError } from '../domain/errors.ts';
import type { TransferRequest } from '../domain/wallet/ledger.ts';
import { paymentDebit } from '../domain/wallet/payment-transfers.ts';
import { gatedTransfersCheck, gatedTransfersCtes, houseShardRotation, isGatedTransferAbort, ledgerRepository } from './ledger-repository.ts';
import { CLAIM_CTE, ORDER_COLUMNS, orderArrays, payStore } from './pay-store.ts';
import { GROUP_COMMIT, type GroupCommitOptions, groupCommit } from './group-commit.ts';
import { asDate } from './payment-rows.ts';
import { agreementTokenRefusalSql } from './tokens-repository.ts';
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

/** One synchronous pay for paidOrdersStatement: what `SyncPayStore.payNow` takes, with its debit. */
export interface PayToWrite {
  readonly paid: PaidOrder;
  readonly requestHash: string;
  readonly answer: StoredAnswer;
  readonly customer: CustomerPrecondition;
  /** The PAYMENT transfer (paymentDebit's), or undefined on the long path, which posts it itself. */
  readonly debit: TransferRequest | undefined;
  /** §10 Auto Debit: the hash of the access token the pay names, checked in the statement; undefined for a payment code. */
  readonly agreementTokenHash: string | undefined;
}

/** What the statement did with one pay: claimed its key (and wrote it), and why its token could not pay, if it could not. */
export interface PayWritten {
  readonly stored: boolean;
  readonly tokenRefusal: AccessTokenRefusal | undefined;
}

/**
 * The statement (see the header) for a batch of pays, apart from its execution so that a test can
 * run it in a transaction of its own. The pays go as one array parameter per column, so the text is
 * the same for any batch and stays prepared; the order columns and the claim are the cashier pay's
 * (pay-store.ts: orderArrays, CLAIM_CTE), so both claim keys in the same order.
 * Either every pay has its debit or none has (the long path's single pay). The debits' house legs
 * go to the sub-account `houseShardOfBatch` (ledger-repository.ts, houseShardRotation).
 */
export function paidOrdersStatement(pays: readonly PayToWrite[], houseShardOfBatch = 0) {
  const debits = pays.map((p) => p.debit).filter((d): d is TransferRequest => d !== undefined);
  if (debits.length !== 0 && debits.length !== pays.length) throw new Error('either every pay of a batch has its debit or none has');
  const c = <T>(pick: (p: PayToWrite) => T) => pays.map(pick);
  const orders = pays.map((p) => ({ payment: p.paid.order, requestHash: p.requestHash, answer: p.answer, customer: p.customer }));
  return sql<{ created_id: string | null; token_refusal: AccessTokenRefusal | null; transfers_posted?: number }>`
    with given as (
      select * from unnest(${orderArrays(orders)},
        ${c((p) => asDate(p.paid.paymentTime))}::timestamptz[], ${c((p) => p.paid.notification.url ?? null)}::text[], ${c((p) => p.paid.notification.body)}::text[],
        ${c((p) => p.agreementTokenHash ?? null)}::text[]
      ) with ordinality as i(${ORDER_COLUMNS}, payment_time, notify_url, notify_body, agreement_token_hash, n)
    ), checked as (
      select i.*, case when i.agreement_token_hash is not null then ${agreementTokenRefusalSql(sql.ref('i.customer_id'), sql.ref('i.payment_time'))} end as token_refusal
        from given i
        left join access_tokens t on t.token_hash = i.agreement_token_hash
        left join grants g on g.id = t.grant_id
    ), input as (
      select * from checked where token_refusal is null
    ), ${CLAIM_CTE}, created as (
      insert into payments (id, psp_id, payment_request_id, customer_id, status, result_code,
                            payment_currency, payment_minor, pay_to_currency, pay_to_minor,
                            surcharge_currency, surcharge_minor, debit_minor, quote_id, quote_pair, quote_price,
                            expires_at, payment_time, cashier_token_hash, request, created_at, updated_at)
      select i.payment_id, i.psp_id, i.payment_request_id, i.customer_id, 'SUCCESS', ${resultCodeFor('SUCCESS')},
             i.payment_currency, i.payment_minor, i.pay_to_currency, i.pay_to_minor,
             i.surcharge_currency, i.surcharge_minor, i.debit_minor, i.quote_id, i.quote_pair, i.quote_price,
             i.expires_at, i.payment_time, i.cashier_token_hash, i.request, i.created_at, i.payment_time
        from claim join input i on i.payment_id = claim.payment_id
      returning id
    ), history as (
      insert into payment_status_history (payment_id, from_status, to_status, result_code, reason, changed_at)
      select i.payment_id, 'PROCESSING', 'SUCCESS', ${resultCodeFor('SUCCESS')}, 'SYNCHRONOUS_DEBIT', i.payment_time
        from created join input i on i.payment_id = created.id
    ), outbox as (
      insert into notify_outbox (payment_id, url, body, next_attempt_at, created_at)
      select i.payment_id, i.notify_url, i.notify_body, i.payment_time, i.payment_time
        from created join input i on i.payment_id = created.id
    )${debits.length > 0 ? sql`, ${gatedTransfersCtes(debits, 'created', houseShardOfBatch)}` : sql``}
    select created.id as created_id, i.token_refusal${debits.length > 0 ? sql`, ${gatedTransfersCheck} as transfers_posted` : sql``}
      from checked i
      left join created on created.id = i.payment_id
     order by i.n`;
}

/** Writes a batch of pays (paidOrdersStatement) and says, for each, whether it claimed its key. */
async function payNowBatch(db: Kysely<Database>, pays: readonly PayToWrite[], houseShardOfBatch: number): Promise<PayWritten[]> {
  const { rows } = await paidOrdersStatement(pays, houseShardOfBatch).execute(db);
  if (rows.length !== pays.length) throw new Error(`wrote ${pays.length} pays, read back ${rows.length}`);
  return rows.map(payWritten);
}

const payWritten = (row: { created_id: string | null; token_refusal: AccessTokenRefusal | null }): PayWritten => ({
  stored: row.created_id !== null,
  tokenRefusal: row.token_refusal ?? undefined,
});

/** The long path (see the header), for one pay whose accounts are not all open: the order, then postTransfer. */
function payOnLongPath(db: Kysely<Database>, pay: PayToWrite, debit: TransferRequest): Promise<PayWritten> {
  return db
    .transaction()
    .setIsolationLevel('read committed')
    .execute(async (trx) => {
      const { rows } = await paidOrdersStatement([{ ...pay, debit: undefined }]).execute(trx);
      const [row] = rows;
      if (!row) throw new Error('wrote 1 pay, read back none');
      const written = payWritten(row);
      if (written.stored) await postTransferIn(trx, debit);
      return written;
    });
}

/**
 * Batches of synchronous pays in flight at once, at most (the lookups keep the caller's setting).
 * Each batch locks its wallets and a house sub-account until its COMMIT, and its statement costs
 * Postgres about the same whatever its size; two in flight make the batches under load twice as
 * large as four did. Measured in docs/performance.md ("The thirteenth round"): Postgres's CPU a
 * synchronous pay about 480 µs against about 620, with houseShardRotation.
 */
export const SYNC_PAY_BATCHES_IN_FLIGHT = 2;

export function syncPayStore(db: Kysely<Database>, options: GroupCommitOptions = GROUP_COMMIT): SyncPayStore {
  const pays = payStore(db, options);
  const nextHouseShard = houseShardRotation();
  const write = groupCommit('sync_pay', (batch: readonly PayToWrite[]) => payNowBatch(db, batch, nextHouseShard()), {
    ...options,
    maxInFlight: Math.min(options.maxInFlight, SYNC_PAY_BATCHES_IN_FLIGHT),
  });
  return {
    lookup: pays.lookup,
    refuse: pays.refuse,
    async payNow(p, requestHash, answer, customer, agreementTokenHash): Promise<SyncPayAttempt> {
      const paid = paidPayment(p);
      const surcharge = walletSurcharge(paid); // the cashier's Pay debits the same way
      const debit = paymentDebit({
        paymentId: paid.paymentId,
        customerId: paid.customerId,
        payToAmount: paid.payToAmount,
        surchargeAmount: surcharge.valueMinor > 0n ? surcharge : undefined,
        at: p.paymentTime,
      });
      const pay: PayToWrite = { paid: p, requestHash, answer, customer, debit, agreementTokenHash };
      let written: PayWritten;
      try {
        written = await write(pay);
      } catch (err) {
        if (isGatedTransferAbort(err, 'balanceNotEnough')) throw new DomainError('USER_BALANCE_NOT_ENOUGH');
        // First payment of a currency (or a wallet never topped up): the accounts are opened on the long path.
        if (!isGatedTransferAbort(err, 'accountNotOpened')) throw err;
        written = await payOnLongPath(db, pay, debit);
      }
      if (written.stored) return { payment: paid };
      const seen = await pays.lookup(p.order.pspId, p.order.paymentRequestId, p.order.customerId);
      return { payment: undefined, seen, tokenRefusal: written.tokenRefusal };
    },
  };
}
