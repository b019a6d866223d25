/**
 * pay's group commit (pay-store.ts, group-commit.ts) on the engine the suite runs on: the orders of
 * one batch in one statement give each caller what its own statement gave, an order that breaks a
 * constraint fails only itself, and batches that share keys in opposite orders on two pools make
 * one order per key and answer every caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { result } from '../../src/domain/errors.ts';
import type { CurrencyCode } from '../../src/domain/money.ts';
import { customerAccepting, newPaymentOf, preparePay } from '../../src/domain/payments/pay.ts';
import type { NewPayment, PayStore } from '../../src/domain/payments/ports.ts';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import { acceptPayStatement, type OrderToAccept, payStore } from '../../src/persistence/pay-store.ts';
import { paymentQueries } from '../../src/persistence/payment-queries.ts';
import { attachDatabase, realPostgres, type TestDatabase, testConfig, testDatabase } from '../support/harness.ts';
import { seedPay } from '../support/payments.ts';

const CUSTOMER = 'group-commit-c';
const settings = testConfig();
let database: TestDatabase;
let second: DatabaseHandle | undefined;
let serial = 0;

beforeAll(async () => {
  database = await testDatabase();
  second = realPostgres ? attachDatabase(database.schema) : undefined;
  await database.db.insertInto('customers').values({ id: CUSTOMER, status: 'NORMAL', currency: 'KRW' }).execute();
});
afterAll(async () => {
  await second?.close();
  await database.close();
});

/** An order as pay makes it from the seed's request, with a fresh paymentId and cashier token hash. */
function order(paymentRequestId?: string, change: (p: NewPayment) => NewPayment = (p) => p): OrderToAccept {
  const prepared = preparePay(seedPay(CUSTOMER, paymentRequestId), settings);
  serial += 1;
  const now = new Date();
  const payment = newPaymentOf(prepared, {
    paymentId: `gc${Date.now()}${String(serial).padStart(6, '0')}`,
    cashierTokenHash: `${String(serial).padStart(8, '0')}${'f'.repeat(56)}`,
    expiresAt: new Date(now.getTime() + 180_000),
    now,
  });
  return {
    payment: change(payment),
    requestHash: prepared.requestHash,
    answer: { result: result('PAYMENT_IN_PROCESS'), paymentUrl: `https://wallet.example/cashier/t${serial}` },
    customer: customerAccepting(prepared),
  };
}

const accept = (store: PayStore, o: OrderToAccept) => store.accept(o.payment, o.requestHash, o.answer, o.customer);

const withSurcharge = (p: NewPayment): NewPayment => ({
  ...p,
  quote: undefined,
  surchargeAmount: { currency: p.payToAmount.currency, valueMinor: p.payToAmount.valueMinor + 30n },
  debitAmount: { currency: p.payToAmount.currency, valueMinor: p.payToAmount.valueMinor + 30n },
});

async function ordersFor(paymentRequestId: string) {
  return database.db.selectFrom('payments').select('id').where('payment_request_id', '=', paymentRequestId).execute();
}

describe('pay group commit', () => {
  it('orders accepted in one turn: each caller gets the payment a read of its row gives', async () => {
    const store = payStore(database.db, { maxInFlight: 1, maxBatch: 64 });
    const plain = order();
    const surcharged = order(undefined, withSurcharge);
    const attempts = await Promise.all([accept(store, plain), accept(store, surcharged)]);
    for (const [i, o] of [plain, surcharged].entries()) {
      const stored = await store.lookup(o.payment.pspId, o.payment.paymentRequestId, CUSTOMER);
      expect(attempts[i]!.payment).toEqual(stored.claim?.payment);
      expect(stored.claim?.answer).toEqual(o.answer);
      expect(stored.claim?.requestHash).toBe(o.requestHash);
    }
    expect(attempts[1]!.payment?.surchargeAmount?.valueMinor).toBe(surcharged.payment.surchargeAmount!.valueMinor);
  });

  it('one statement of mixed orders: new ones stored, a claimed key and a customer that does not qualify seen, a key twice in the batch stored once', async () => {
    const store = payStore(database.db);
    const earlier = order();
    expect((await accept(store, earlier)).payment).toBeDefined();
    const fresh = order();
    const again = order(earlier.payment.paymentRequestId);
    const otherCurrency = { ...order(), customer: { status: 'NORMAL' as const, currency: 'USD' as CurrencyCode } };
    const twin = order(fresh.payment.paymentRequestId);

    const { rows } = await acceptPayStatement([fresh, again, otherCurrency, twin]).execute(database.db);

    expect(rows.map((r) => r.created_id)).toEqual([fresh.payment.paymentId, null, null, null]);
    expect(rows[1]).toMatchObject({ claim_request_hash: earlier.requestHash, claim_payment_id: earlier.payment.paymentId, id: earlier.payment.paymentId });
    expect(rows[2]).toMatchObject({ claim_request_hash: null, customer_row_id: CUSTOMER, customer_currency: 'KRW' });
    // The twin's claim lost to its sibling's in this statement, which its snapshot does not show.
    expect(rows[3]).toMatchObject({ claim_request_hash: null, customer_row_id: CUSTOMER });
    expect(await ordersFor(fresh.payment.paymentRequestId)).toEqual([{ id: fresh.payment.paymentId }]);
    expect(await ordersFor(otherCurrency.payment.paymentRequestId)).toEqual([]);
  });

  it('an order that breaks a constraint fails only its own caller; the rest of its batch is stored', async () => {
    const store = payStore(database.db, { maxInFlight: 1, maxBatch: 64 });
    const good = [order(), order()];
    // payments_debit_covers_pay_to: the debit may not be below payToAmount.
    const broken = order(undefined, (p) => ({ ...p, debitAmount: { ...p.debitAmount, valueMinor: p.payToAmount.valueMinor - 1n } }));
    const outcomes = await Promise.allSettled([accept(store, good[0]!), accept(store, broken), accept(store, good[1]!)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/payments_debit_covers_pay_to/);
    for (const o of good) expect(await ordersFor(o.payment.paymentRequestId)).toHaveLength(1);
    expect(await ordersFor(broken.payment.paymentRequestId)).toHaveLength(0);
  });

  it('batches sharing keys in opposite orders, on two pools at once: one order per key, every caller answered', async () => {
    const keys = Array.from({ length: 40 }, () => order().payment.paymentRequestId);
    const stores = [payStore(database.db, { maxInFlight: 4, maxBatch: 8 }), payStore((second ?? database).db, { maxInFlight: 4, maxBatch: 8 })];
    const attempts = await Promise.all([...keys.map((k) => accept(stores[0]!, order(k))), ...[...keys].reverse().map((k) => accept(stores[1]!, order(k)))]);
    expect(attempts).toHaveLength(80);
    for (const k of keys) expect(await ordersFor(k)).toHaveLength(1);
    // Each key has one stored order; the loser of each pair saw nothing it could replay yet, or the winner's claim.
    expect(attempts.filter((a) => a.payment !== undefined)).toHaveLength(40);
  });

  it('lookups and reads by request that arrive together: each caller gets the answer of its own key', async () => {
    const store = payStore(database.db, { maxInFlight: 1, maxBatch: 64 });
    const stored = order();
    await accept(store, stored);
    const refused = order();
    expect(await store.refuse({ ...refused.payment, requestHash: refused.requestHash, now: new Date() }, { result: result('USER_NOT_EXIST') })).toBe(true);
    const missing = order();
    const keys = [stored, refused, missing, stored].map((o) => o.payment);

    const lookups = await Promise.all(keys.map((k) => store.lookup(k.pspId, k.paymentRequestId, CUSTOMER)));
    expect(lookups.map((l) => l.claim?.paymentId)).toEqual([stored.payment.paymentId, undefined, undefined, stored.payment.paymentId]);
    expect(lookups.map((l) => l.claim?.answer.result.resultCode)).toEqual(['PAYMENT_IN_PROCESS', 'USER_NOT_EXIST', undefined, 'PAYMENT_IN_PROCESS']);
    expect(lookups.map((l) => l.customer?.id)).toEqual([CUSTOMER, CUSTOMER, CUSTOMER, CUSTOMER]);

    const queries = paymentQueries(database.db);
    const found = await Promise.all(keys.map((k) => queries.findByRequestId(k.pspId, k.paymentRequestId)));
    expect(found.map((p) => p?.paymentId)).toEqual([stored.payment.paymentId, undefined, undefined, stored.payment.paymentId]);
    expect(found[0]).toEqual(lookups[0]!.claim?.payment);
  });
});
