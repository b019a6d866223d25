/**
 * §9/§10 synchronous pay under concurrency (real Postgres; PGlite serialises everything): N
 * identical requests debit once and all answer the same S; many different payments of one wallet
 * never take more than it holds, and every S is backed by exactly one debit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, topUp } from '../support/cashier.ts';
import { createCustomer, realPostgres, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { kindTotal, readBooks } from '../support/ledger.ts';
import { PAY_PATH } from '../support/payments.ts';
import { codePay } from '../support/sync-pay.ts';

let t: TestApp;
const ONE = 'C_SYNC_CONC_1';
const MANY = 'C_SYNC_CONC_2';

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, ONE, 'KRW');
  await createCustomer(t.app, MANY, 'KRW');
  await topUp(t.app, ONE, '100000');
  await topUp(t.app, MANY, '10500');
});
afterAll(async () => t.close());

describe('concurrent synchronous pays', () => {
  it.runIf(realPostgres)('50 concurrent identical payment-code pays debit once and answer the same S', async () => {
    const body = codePay(ONE);
    const answers = (await Promise.all(Array.from({ length: 50 }, () => signedPost(t.app, PAY_PATH, body)))).map((r) => r.json());
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0].result.resultCode).toBe('SUCCESS');
    expect(await balanceOf(t.app, ONE)).toBe(99000n);
    const debits = await t.database.db.selectFrom('ledger_transfers').select('id').where('payment_id', '=', answers[0].paymentId).where('kind', '=', 'PAYMENT').execute();
    expect(debits).toHaveLength(1);
  });

  it.runIf(realPostgres)('30 concurrent different pays of a wallet holding 10 of them: exactly 10 S, 20 F USER_BALANCE_NOT_ENOUGH, never negative', async () => {
    const answers = (await Promise.all(Array.from({ length: 30 }, () => signedPost(t.app, PAY_PATH, codePay(MANY))))).map((r) => r.json());
    const codes = answers.map((a) => a.result.resultCode);
    expect(codes.filter((c) => c === 'SUCCESS')).toHaveLength(10);
    expect(codes.filter((c) => c === 'USER_BALANCE_NOT_ENOUGH')).toHaveLength(20);
    expect(await balanceOf(t.app, MANY)).toBe(500n);
    const paid = await t.database.db.selectFrom('payments').select('id').where('customer_id', '=', MANY).where('status', '=', 'SUCCESS').execute();
    expect(paid).toHaveLength(10);
    const books = await readBooks(t.database.db);
    expect(kindTotal(books, 'KRW', 'SETTLEMENT') + kindTotal(books, 'KRW', 'SURCHARGE') + kindTotal(books, 'KRW', 'CUSTOMER_WALLET')).toBe(
      -kindTotal(books, 'KRW', 'FUNDING'),
    );
  });
});
