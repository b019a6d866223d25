/**
 * The synchronous pays' one statement (sync-pay-store.ts): with the accounts open it claims, stores
 * the paid orders and posts their debits in that one statement, the same legs the ledger's
 * postTransfer posts; the wallet guard refuses an overdraft by aborting the statement (nothing of it
 * is left); without the house accounts it aborts as well, with its own SQLSTATE (and the store takes
 * the long path, which opens them). A batch sums the debits of one wallet, and answers each pay.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PayToWrite, paidOrdersStatement, syncPayStore } from '../../src/persistence/sync-pay-store.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { HOUSE_ACCOUNT_SHARDS, isGatedTransferAbort } from '../../src/persistence/ledger-repository.ts';
import { paymentDebit } from '../../src/domain/wallet/payment-transfers.ts';
import { customerAccepting, newPaymentOf, preparePay } from '../../src/domain/payments/pay.ts';
import { notificationOf } from '../../src/domain/payments/notify.ts';
import { finalPaymentOf } from '../../src/domain/payments/payment.ts';
import { result } from '../../src/domain/errors.ts';
import { balanceOf, topUp } from '../support/cashier.ts';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { PAY_PATH } from '../support/payments.ts';
import { codePay } from '../support/sync-pay.ts';
import { agreementTokenFor, cancelToken } from '../support/tokens.ts';
import { secretHash } from '../../src/domain/tokens/token.ts';

let t: TestApp;
const C = 'C_SYNC_STMT';

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '2000');
});
afterAll(async () => t.close());

/** A payment-code pay of `customerId` with payment id `id`, debit included, as the store writes it. */
function payOf(id: string, customerId = C, paymentRequestId?: string): PayToWrite {
  const prepared = preparePay(codePay(customerId, paymentRequestId), { fxRoundingMode: 'ROUND_HALF_UP', fxToleranceMinor: 1n });
  const now = new Date();
  const order = newPaymentOf(prepared, {
    paymentId: id,
    cashierTokenHash: createHash('sha256').update(id).digest('hex'),
    expiresAt: new Date(now.getTime() + 60_000),
    now,
  });
  const paid = { ...order, status: 'SUCCESS' as const, resultCode: 'SUCCESS' as const, paymentTime: now };
  return {
    paid: { order, paymentTime: now, notification: notificationOf(finalPaymentOf(paid), now) },
    requestHash: prepared.requestHash,
    answer: { result: result('SUCCESS') },
    customer: customerAccepting(prepared),
    debit: paymentDebit({ paymentId: id, customerId, payToAmount: order.payToAmount, at: now }),
    agreementTokenHash: undefined,
  };
}

/** The statement for one payment-code pay of C with payment id `id`, debit included. */
function statementFor(id: string) {
  const pay = payOf(id);
  return { statement: paidOrdersStatement([pay]), paymentRequestId: pay.paid.order.paymentRequestId };
}

/** Runs the statement in a transaction that is always rolled back; returns what it reported, or the error it aborted with. */
async function attempt(id: string) {
  const { statement } = statementFor(id);
  let seen: { created_id: string | null; token_refusal: string | null; transfers_posted?: number } | undefined;
  let legs: { amount_minor: bigint; kind: string }[] = [];
  let aborted: unknown;
  await t.database.db
    .transaction()
    .execute(async (trx) => {
      const { rows } = await statement.execute(trx);
      seen = rows[0];
      legs = await trx
        .selectFrom('ledger_entries as e')
        .innerJoin('ledger_transfers as x', 'x.id', 'e.transfer_id')
        .innerJoin('ledger_accounts as a', 'a.id', 'e.account_id')
        .select(['e.amount_minor', 'a.kind'])
        .where('x.payment_id', '=', id)
        .execute();
      throw new Error('roll back');
    })
    .catch((err: Error) => {
      if (err.message !== 'roll back') aborted = err;
    });
  return { seen, aborted, legs: legs.map((l) => `${l.kind} ${l.amount_minor}`).sort() };
}

describe('the synchronous pay statement', () => {
  it('aborts as accountNotOpened before any payment opened the house accounts', async () => {
    const { seen, aborted } = await attempt('STMT0000000000000000000000000001');
    expect(seen).toBeUndefined();
    expect(isGatedTransferAbort(aborted, 'accountNotOpened')).toBe(true);
  });

  it("posts the debit in the same statement once the accounts exist, with the ledger's own legs", async () => {
    // A first payment through the HTTP path opens SETTLEMENT (the long path).
    expect((await signedPost(t.app, PAY_PATH, codePay(C))).json().result.resultCode).toBe('SUCCESS');
    const { seen, legs, aborted } = await attempt('STMT0000000000000000000000000002');
    expect(aborted).toBeUndefined();
    expect(seen).toEqual({ created_id: 'STMT0000000000000000000000000002', token_refusal: null, transfers_posted: 1 });
    expect(legs).toEqual(['CUSTOMER_WALLET -1000', 'SETTLEMENT 1000']);
  });

  it('aborts as balanceNotEnough, leaving no claim, order or entry, when the wallet cannot cover it (the guard, in the statement)', async () => {
    expect((await signedPost(t.app, PAY_PATH, codePay(C))).json().result.resultCode).toBe('SUCCESS');
    expect(await balanceOf(t.app, C)).toBe(0n);
    const { seen, aborted } = await attempt('STMT0000000000000000000000000003');
    expect(seen).toBeUndefined();
    expect(isGatedTransferAbort(aborted, 'balanceNotEnough')).toBe(true);
  });

  it('aborts on its own, outside any transaction, and leaves nothing behind', async () => {
    const id = 'STMT0000000000000000000000000004';
    const { statement, paymentRequestId } = statementFor(id);
    const err = await statement.execute(t.database.db).catch((e: unknown) => e);
    expect(isGatedTransferAbort(err, 'balanceNotEnough')).toBe(true);
    const db = t.database.db;
    expect(await db.selectFrom('pay_requests').select('payment_id').where('payment_request_id', '=', paymentRequestId).execute()).toEqual([]);
    expect(await db.selectFrom('payments').select('id').where('id', '=', id).execute()).toEqual([]);
    expect(await db.selectFrom('notify_outbox').select('payment_id').where('payment_id', '=', id).execute()).toEqual([]);
    expect(await db.selectFrom('ledger_transfers').select('id').where('payment_id', '=', id).execute()).toEqual([]);
  });
});

describe('a batch of synchronous pays in one statement', () => {
  const A = 'C_SYNC_BATCH_A';
  const B = 'C_SYNC_BATCH_B';
  const SHORT = 'C_SYNC_BATCH_SHORT';

  beforeAll(async () => {
    for (const c of [A, B, SHORT]) await createCustomer(t.app, c, 'KRW');
    await topUp(t.app, A, '10000');
    await topUp(t.app, B, '10000');
    await topUp(t.app, SHORT, '1500');
    // Opens the house accounts (the long path), so the batches below take the one statement.
    expect((await signedPost(t.app, PAY_PATH, codePay(B))).json().result.resultCode).toBe('SUCCESS');
  });

  const debitsOf = (id: string) =>
    t.database.db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transfers as x', 'x.id', 'e.transfer_id')
      .innerJoin('ledger_accounts as a', 'a.id', 'e.account_id')
      .select(['a.kind', 'e.amount_minor'])
      .where('x.payment_id', '=', id)
      .execute()
      .then((rows) => rows.map((r) => `${r.kind} ${r.amount_minor}`).sort());

  it("pays three orders, two of one wallet, each with its own transfer and the ledger's legs, the wallet debited by their sum", async () => {
    const ids = ['BATCH000000000000000000000000001', 'BATCH000000000000000000000000002', 'BATCH000000000000000000000000003'];
    const { rows } = await paidOrdersStatement([payOf(ids[0]!, A), payOf(ids[1]!, A), payOf(ids[2]!, B)]).execute(t.database.db);
    expect(rows).toEqual(ids.map((id) => ({ created_id: id, token_refusal: null, transfers_posted: 3 })));
    for (const id of ids) expect(await debitsOf(id)).toEqual(['CUSTOMER_WALLET -1000', 'SETTLEMENT 1000']);
    expect(await balanceOf(t.app, A)).toBe(8000n);
    expect(await balanceOf(t.app, B)).toBe(8000n);
    const history = await t.database.db.selectFrom('payment_status_history').select('payment_id').where('payment_id', 'in', ids).execute();
    expect(history).toHaveLength(3);
    const outbox = await t.database.db.selectFrom('notify_outbox').select('payment_id').where('payment_id', 'in', ids).execute();
    expect(outbox).toHaveLength(3);
  });

  it('writes nothing for a key already claimed, or a key twice in the batch after its first, and debits only the new ones', async () => {
    const first = payOf('BATCH000000000000000000000000011', A);
    const again = payOf('BATCH000000000000000000000000012', A, first.paid.order.paymentRequestId);
    const fresh = payOf('BATCH000000000000000000000000013', A);
    const twice = payOf('BATCH000000000000000000000000014', A, fresh.paid.order.paymentRequestId);
    await paidOrdersStatement([first]).execute(t.database.db);
    const { rows } = await paidOrdersStatement([again, fresh, twice]).execute(t.database.db);
    expect(rows.map((r) => r.created_id)).toEqual([null, 'BATCH000000000000000000000000013', null]);
    expect(await balanceOf(t.app, A)).toBe(6000n);
    expect(await debitsOf('BATCH000000000000000000000000012')).toEqual([]);
    expect(await debitsOf('BATCH000000000000000000000000014')).toEqual([]);
  });

  it('aborts the whole batch as balanceNotEnough when one wallet cannot cover its sum, though each pay alone could', async () => {
    const short = [payOf('BATCH000000000000000000000000021', SHORT), payOf('BATCH000000000000000000000000022', SHORT)];
    const err = await paidOrdersStatement([payOf('BATCH000000000000000000000000020', A), ...short])
      .execute(t.database.db)
      .catch((e: unknown) => e);
    expect(isGatedTransferAbort(err, 'balanceNotEnough')).toBe(true);
    expect(await balanceOf(t.app, SHORT)).toBe(1500n);
    expect(await balanceOf(t.app, A)).toBe(6000n);
    const left = await t.database.db.selectFrom('payments').select('id').where('id', 'like', 'BATCH00000000000000000000000002%').execute();
    expect(left).toEqual([]);
  });

  it('through the store, the pays of one turn share a statement; when it aborts, each is written alone and only the short one fails', async () => {
    const sizes: number[] = [];
    const store = syncPayStore(t.database.db, { maxInFlight: 4, maxBatch: 64, onBatch: (_s, n) => sizes.push(n) });
    const write = (p: PayToWrite) =>
      store.payNow(p.paid, p.requestHash, p.answer, p.customer).then(
        (a) => (a.payment ? 'paid' : 'seen'),
        (e: unknown) => (e instanceof DomainError ? e.code : e),
      );
    const answers = await Promise.all([
      write(payOf('BATCH000000000000000000000000031', A)),
      write(payOf('BATCH000000000000000000000000032', SHORT)),
      write(payOf('BATCH000000000000000000000000033', SHORT)),
      write(payOf('BATCH000000000000000000000000034', B)),
    ]);
    expect(sizes).toEqual([4]);
    expect(answers.filter((a) => a === 'USER_BALANCE_NOT_ENOUGH')).toHaveLength(1);
    expect(answers.filter((a) => a === 'paid')).toHaveLength(3);
    expect(await balanceOf(t.app, SHORT)).toBe(500n);
    expect(await balanceOf(t.app, A)).toBe(5000n);
    expect(await balanceOf(t.app, B)).toBe(7000n);
  });

  it('posts every house leg of a batch to the sub-account the batch is given, and moves that row once by their sum', async () => {
    const settlementShard = (shard: number) =>
      t.database.db
        .selectFrom('ledger_accounts')
        .select(['id', 'balance_minor'])
        .where('kind', '=', 'SETTLEMENT')
        .where('currency', '=', 'KRW')
        .where('shard', '=', shard)
        .executeTakeFirstOrThrow();
    const before = await settlementShard(7);
    const ids = ['BATCH000000000000000000000000041', 'BATCH000000000000000000000000042'];
    const { rows } = await paidOrdersStatement(
      ids.map((id) => payOf(id, B)),
      7,
    ).execute(t.database.db);
    expect(rows.map((r) => r.created_id)).toEqual(ids);
    const after = await settlementShard(7);
    expect(after.balance_minor - before.balance_minor).toBe(2000n);
    const settled = await t.database.db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transfers as x', 'x.id', 'e.transfer_id')
      .innerJoin('ledger_accounts as a', 'a.id', 'e.account_id')
      .select(['x.payment_id', 'e.account_id'])
      .where('x.payment_id', 'in', ids)
      .where('a.kind', '=', 'SETTLEMENT')
      .orderBy('x.payment_id')
      .execute();
    expect(settled).toEqual(ids.map((id) => ({ payment_id: id, account_id: before.id })));
    expect(await balanceOf(t.app, B)).toBe(5000n);
  });

  it("checks each Auto Debit pay's token in the statement: one that cannot pay writes nothing and says why, the batch's others are paid", async () => {
    const [own, others, revoked] = [await agreementTokenFor(t, A), await agreementTokenFor(t, B), await agreementTokenFor(t, A)];
    expect((await cancelToken(t, revoked)).json().result.resultStatus).toBe('S');
    const withToken = (p: PayToWrite, token: string): PayToWrite => ({ ...p, agreementTokenHash: secretHash(token) });
    const ids = [
      'BATCH000000000000000000000000061',
      'BATCH000000000000000000000000062',
      'BATCH000000000000000000000000063',
      'BATCH000000000000000000000000064',
      'BATCH000000000000000000000000065',
    ];
    const pays = [
      withToken(payOf(ids[0]!, A), own),
      withToken(payOf(ids[1]!, A), others),
      withToken(payOf(ids[2]!, A), revoked),
      payOf(ids[3]!, B),
      withToken(payOf(ids[4]!, A), 'NOT-A-TOKEN'),
    ];
    const before = { a: await balanceOf(t.app, A), b: await balanceOf(t.app, B) };
    const { rows } = await paidOrdersStatement(pays).execute(t.database.db);
    expect(rows.map((r) => [r.created_id, r.token_refusal])).toEqual([
      [ids[0], null],
      [null, 'INVALID_TOKEN'],
      [null, 'INVALID_TOKEN'],
      [ids[3], null],
      [null, 'INVALID_TOKEN'],
    ]);
    expect(await balanceOf(t.app, A)).toBe(before.a - 1000n);
    expect(await balanceOf(t.app, B)).toBe(before.b - 1000n);
    const refusedKeys = [pays[1]!, pays[2]!, pays[4]!].map((p) => p.paid.order.paymentRequestId);
    expect(await t.database.db.selectFrom('pay_requests').select('payment_id').where('payment_request_id', 'in', refusedKeys).execute()).toEqual([]);
  });

  it('refuses a house sub-account that does not exist before building the statement', () => {
    expect(() => paidOrdersStatement([payOf('BATCH000000000000000000000000051', B)], HOUSE_ACCOUNT_SHARDS)).toThrow(RangeError);
    expect(() => paidOrdersStatement([payOf('BATCH000000000000000000000000052', B)], -1)).toThrow(RangeError);
  });
});
