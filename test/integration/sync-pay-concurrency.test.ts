/**
 * §9/§10 synchronous pay under concurrency (real Postgres; PGlite serialises everything): N
 * identical requests debit once and all answer the same S; many different payments of one wallet
 * never take more than it holds, and every S is backed by exactly one debit; an Auto Debit token
 * revoked while its pays run pays for none after its revocation and leaves no F recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, CANCEL_PATH, cancelBody, topUp } from '../support/cashier.ts';
import { createCustomer, realPostgres, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { kindTotal, readBooks } from '../support/ledger.ts';
import { INQUIRY_PATH, PAY_PATH } from '../support/payments.ts';
import { agreementPay, codePay } from '../support/sync-pay.ts';
import { agreementTokenFor, cancelToken } from '../support/tokens.ts';
import { HOUSE_ACCOUNT_SHARDS } from '../../src/persistence/ledger-repository.ts';

let t: TestApp;
const ONE = 'C_SYNC_CONC_1';
const MANY = 'C_SYNC_CONC_2';
const RACE = 'C_SYNC_CONC_RACE';
const AGREEMENT = 'C_SYNC_CONC_AGREEMENT';
const SPREAD = Array.from({ length: 8 }, (_v, i) => `C_SYNC_CONC_SPREAD_${i}`);

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, ONE, 'KRW');
  await createCustomer(t.app, MANY, 'KRW');
  await createCustomer(t.app, RACE, 'KRW');
  await topUp(t.app, RACE, '100000');
  await createCustomer(t.app, AGREEMENT, 'KRW');
  await topUp(t.app, AGREEMENT, '100000');
  await topUp(t.app, ONE, '100000');
  await topUp(t.app, MANY, '10500');
  for (const c of SPREAD) {
    await createCustomer(t.app, c, 'KRW');
    await topUp(t.app, c, '100000');
  }
});
afterAll(async () => t.close());

/** Sends `body` 50 times at once: every answer is the same S, and the customer's wallet (100,000 before) was debited once. */
async function fiftyAtOnceDebitOnce(body: { paymentMethod: { customerId: string } }): Promise<void> {
  const answers = (await Promise.all(Array.from({ length: 50 }, () => signedPost(t.app, PAY_PATH, body)))).map((r) => r.json());
  for (const a of answers) expect(a).toEqual(answers[0]);
  expect(answers[0].result.resultCode).toBe('SUCCESS');
  expect(await balanceOf(t.app, body.paymentMethod.customerId)).toBe(99000n);
  const debits = await t.database.db.selectFrom('ledger_transfers').select('id').where('payment_id', '=', answers[0].paymentId).where('kind', '=', 'PAYMENT').execute();
  expect(debits).toHaveLength(1);
}

describe('concurrent synchronous pays', () => {
  it.runIf(realPostgres)('50 concurrent identical payment-code pays debit once and answer the same S', async () => {
    await fiftyAtOnceDebitOnce(codePay(ONE));
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

  it.runIf(realPostgres)('cancelPayment racing a payment-code pay on one key (§5 revision 2): whoever wins, nothing stays debited', async () => {
    for (let round = 0; round < 20; round++) {
      const body = codePay(RACE);
      const [pay, cancel] = await Promise.all([signedPost(t.app, PAY_PATH, body), signedPost(t.app, CANCEL_PATH, cancelBody(body.paymentRequestId))]);
      expect(cancel.json().result.resultStatus).toBe('S');
      const orders = await t.database.db.selectFrom('payments').select('status').where('payment_request_id', '=', body.paymentRequestId).execute();
      const code = pay.json().result.resultCode;
      if (code === 'ORDER_IS_CLOSED')
        expect(orders).toEqual([]); // the cancel took the key first
      else {
        expect(code).toBe('SUCCESS'); // the pay won: the cancel reversed it
        expect(orders).toEqual([{ status: 'CANCELLED' }]);
      }
      expect(await balanceOf(t.app, RACE)).toBe(100000n);
      expect((await signedPost(t.app, INQUIRY_PATH, cancelBody(body.paymentRequestId))).json().paymentResult).toMatchObject({ resultCode: 'ORDER_IS_CLOSED' });
      expect((await signedPost(t.app, PAY_PATH, body)).json().result.resultCode).toBe('ORDER_IS_CLOSED');
    }
  });

  it.runIf(realPostgres)('50 concurrent identical Auto Debit pays (the token checked in their statement) debit once and answer the same S', async () => {
    await fiftyAtOnceDebitOnce(agreementPay(AGREEMENT, await agreementTokenFor(t, AGREEMENT)));
  });

  it.runIf(realPostgres)(
    'cancelToken racing Auto Debit pays of its token: each is S and debited once, or F INVALID_TOKEN with nothing stored; none sent after it pays; a retry agrees',
    async () => {
      const token = await agreementTokenFor(t, AGREEMENT);
      const before = await balanceOf(t.app, AGREEMENT);
      const bodies = Array.from({ length: 20 }, () => agreementPay(AGREEMENT, token));
      // Ten pays start a millisecond apart with the revocation among them, so that some batches
      // run before it and some after; ten more are sent once it is answered and must pay nothing.
      const later = <T>(ms: number, send: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => send().then(resolve, reject), ms));
      const racing = bodies.slice(0, 10).map((b, i) => later(i, () => signedPost(t.app, PAY_PATH, b)));
      const cancelled = later(5, () => cancelToken(t, token));
      const afterwards = cancelled.then(() => Promise.all(bodies.slice(10).map((b) => signedPost(t.app, PAY_PATH, b))));
      const [cancel, raced, late] = await Promise.all([cancelled, Promise.all(racing), afterwards]);
      expect(cancel.json().result.resultStatus).toBe('S');
      const pays = [...raced, ...late];
      const codes = pays.map((p) => p.json().result.resultCode as string);
      expect(codes.every((c) => c === 'SUCCESS' || c === 'INVALID_TOKEN')).toBe(true);
      expect(codes.slice(10)).toEqual(Array(10).fill('INVALID_TOKEN'));
      const paid = codes.filter((c) => c === 'SUCCESS').length;
      expect(await balanceOf(t.app, AGREEMENT)).toBe(before - BigInt(paid) * 1000n);
      for (const [i, body] of bodies.entries()) {
        const claims = await t.database.db.selectFrom('pay_requests').select('payment_id').where('payment_request_id', '=', body.paymentRequestId).execute();
        if (codes[i] === 'SUCCESS') {
          const debits = await t.database.db
            .selectFrom('ledger_transfers')
            .select('id')
            .where('payment_id', '=', pays[i]!.json().paymentId)
            .where('kind', '=', 'PAYMENT')
            .execute();
          expect(debits).toHaveLength(1);
          expect(claims).toHaveLength(1);
        } else expect(claims).toEqual([]); // the token's F is not recorded under the key
        // The retry, with the token now revoked: the first S again, or the token's F again.
        expect((await signedPost(t.app, PAY_PATH, body)).json().result.resultCode).toBe(codes[i]);
      }
      expect(await balanceOf(t.app, AGREEMENT)).toBe(before - BigInt(paid) * 1000n);
    },
  );

  it.runIf(realPostgres)(
    '80 concurrent pays of one currency settle to more than one SETTLEMENT sub-account (migration 0045: one for each batch), and the books still balance to the minor unit',
    async () => {
      const settled = async () => kindTotal(await readBooks(t.database.db), 'KRW', 'SETTLEMENT');
      const before = await settled();
      const answers = await Promise.all(Array.from({ length: 80 }, (_v, i) => signedPost(t.app, PAY_PATH, codePay(SPREAD[i % SPREAD.length]!))));
      expect(answers.map((a) => a.json().result.resultCode)).toEqual(Array(80).fill('SUCCESS'));
      for (const c of SPREAD) expect(await balanceOf(t.app, c)).toBe(90000n);
      expect((await settled()) - before).toBe(80_000n);

      const shards = await t.database.db.selectFrom('ledger_accounts').select('shard').where('kind', '=', 'SETTLEMENT').where('currency', '=', 'KRW').execute();
      expect(shards.map((s) => s.shard).sort((a, b) => a - b)).toEqual(Array.from({ length: HOUSE_ACCOUNT_SHARDS }, (_v, i) => i));
      // 80 pays are at least two batches (at most 64 a batch), and consecutive batches take
      // different sub-accounts (houseShardRotation).
      const used = await t.database.db
        .selectFrom('ledger_entries as e')
        .innerJoin('ledger_transfers as x', 'x.id', 'e.transfer_id')
        .innerJoin('ledger_accounts as a', 'a.id', 'e.account_id')
        .select('a.shard')
        .distinct()
        .where('a.kind', '=', 'SETTLEMENT')
        .where(
          'x.payment_id',
          'in',
          answers.map((a) => a.json().paymentId as string),
        )
        .execute();
      expect(used.length).toBeGreaterThanOrEqual(2);
      const books = await readBooks(t.database.db);
      expect({ unbalanced: books.unbalanced, drifted: books.drifted }).toEqual({ unbalanced: [], drifted: [] });
    },
  );
});
