/**
 * The synchronous pay's one statement (sync-pay-store.ts): with the accounts open it claims, stores
 * the paid order and posts the debit in that one statement, the same legs the ledger's postTransfer
 * posts; the wallet guard refuses an overdraft by aborting the statement (nothing of it is left);
 * without the house accounts it aborts as well, with its own SQLSTATE (and the store takes the long
 * path, which opens them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paidOrderStatement } from '../../src/persistence/sync-pay-store.ts';
import { isGatedTransferAbort } from '../../src/persistence/ledger-repository.ts';
import { paymentDebit } from '../../src/domain/wallet/payment-transfers.ts';
import { customerAccepting, newPaymentOf, preparePay } from '../../src/domain/payments/pay.ts';
import { notificationOf } from '../../src/domain/payments/notify.ts';
import { finalPaymentOf } from '../../src/domain/payments/payment.ts';
import { result } from '../../src/domain/errors.ts';
import { balanceOf, topUp } from '../support/cashier.ts';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { PAY_PATH } from '../support/payments.ts';
import { codePay } from '../support/sync-pay.ts';

let t: TestApp;
const C = 'C_SYNC_STMT';

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '2000');
});
afterAll(async () => t.close());

/** The statement for a payment-code pay of C with payment id `id`, debit included. */
function statementFor(id: string) {
  const prepared = preparePay(codePay(C), { fxRoundingMode: 'ROUND_HALF_UP', fxToleranceMinor: 1n });
  const now = new Date();
  const order = newPaymentOf(prepared, { paymentId: id, cashierTokenHash: 'a'.repeat(64), expiresAt: new Date(now.getTime() + 60_000), now });
  const paid = { ...order, status: 'SUCCESS' as const, resultCode: 'SUCCESS' as const, paymentTime: now };
  const debit = paymentDebit({ paymentId: id, customerId: C, payToAmount: order.payToAmount, at: now });
  const statement = paidOrderStatement(
    { order, paymentTime: now, notification: notificationOf(finalPaymentOf(paid), now) },
    prepared.requestHash,
    { result: result('SUCCESS') },
    customerAccepting(prepared),
    debit,
  );
  return { statement, paymentRequestId: prepared.request.paymentRequestId };
}

/** Runs the statement in a transaction that is always rolled back; returns what it reported, or the error it aborted with. */
async function attempt(id: string) {
  const { statement } = statementFor(id);
  let seen: { created_id: string | null; transfer_legs?: number } | undefined;
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
    expect(seen).toMatchObject({ created_id: 'STMT0000000000000000000000000002', transfer_legs: 2 });
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
