/**
 * Property: whatever the sequence and interleaving of top-ups, payment debits, reversals and
 * refunds (each batch runs concurrently with Promise.all), the books stay right:
 *   - every transfer is balanced per currency and every balance equals the sum of its entries;
 *   - no wallet is ever negative;
 *   - per currency, wallets + SETTLEMENT + SURCHARGE = total top-ups, and all accounts sum to 0;
 *   - no payment gives back more than it took (what it holds in SETTLEMENT/SURCHARGE is >= 0);
 *   - every wallet holds exactly what the reported outcomes say (a success is applied once, a
 *     refusal changes nothing, a replay moves nothing).
 * One database for the whole property (the invariants are sums over everything); each run uses
 * customers and payments of its own.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import type { CurrencyCode, Money } from '../../src/domain/money.ts';
import type { TransferOutcome } from '../../src/domain/wallet/ledger.ts';
import { debitForPayment, refundToWallet, reverseForPayment } from '../../src/domain/wallet/payment-transfers.ts';
import { walletUseCases } from '../../src/domain/wallet/use-cases.ts';
import { customerRepository } from '../../src/persistence/customers-repository.ts';
import { ledgerQueries, ledgerRepository } from '../../src/persistence/ledger-repository.ts';
import { unitOfWork } from '../../src/persistence/unit-of-work.ts';
import { FakeClock, realPostgres, type TestDatabase, testDatabase } from '../support/harness.ts';
import { addCustomer, inLedgerTx, kindTotal, readBooks } from '../support/ledger.ts';

const CURRENCIES = ['KRW', 'USD'] as const;
const CUSTOMERS = 3;
const at = new Date('2025-03-04T05:06:07Z');

type Op =
  | { t: 'topUp'; c: number; v: number; replayOf: number | null }
  | { t: 'pay'; c: number; payTo: number; surcharge: number }
  | { t: 'repay'; p: number }
  | { t: 'reverse'; p: number }
  | { t: 'refund'; p: number; v: number; replayOf: number | null };

/** Mostly new operations, sometimes a repeat of an earlier one (same key, same amounts). */
const replayArb = fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(20) });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('topUp' as const), c: fc.nat(CUSTOMERS - 1), v: fc.integer({ min: 1, max: 1000 }), replayOf: replayArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('pay' as const),
      c: fc.nat(CUSTOMERS - 1),
      payTo: fc.integer({ min: 1, max: 600 }),
      surcharge: fc.integer({ min: 0, max: 40 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('repay' as const), p: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('reverse' as const), p: fc.nat(20) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('refund' as const), p: fc.nat(20), v: fc.integer({ min: 1, max: 400 }), replayOf: replayArb }) },
);
/** Opening balances, then batches of operations; the operations of one batch run concurrently. */
const scenarioArb = fc.record({
  opening: fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: CUSTOMERS, maxLength: CUSTOMERS }),
  batches: fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 8 }),
});

let database: TestDatabase;
let run = 0;
/** What the runs really did, so the property cannot pass by doing nothing. */
const seen = new Map<string, number>();
const count = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

beforeAll(async () => {
  database = await testDatabase({ poolSize: 8 });
});
afterAll(async () => {
  await database.close();
});

/** Outcomes a correct ledger may give; anything else fails the property. */
const ALLOWED_REFUSALS = new Set(['USER_BALANCE_NOT_ENOUGH', 'REFUND_AMOUNT_EXCEED', 'ORDER_STATUS_INVALID']);

async function runScenario({ opening, batches }: { opening: number[]; batches: Op[][] }): Promise<void> {
  const db = database.db;
  const r = ++run;
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({ id: `p${r}c${i}`, currency: CURRENCIES[i % CURRENCIES.length]! }));
  for (const c of customers) await addCustomer(db, c.id, c.currency);
  const wallets = walletUseCases({
    uow: unitOfWork(db, (trx) => ({ ledger: ledgerRepository(trx), customers: customerRepository(trx) })),
    queries: ledgerQueries(db),
    clock: new FakeClock(at),
  });
  const money = (c: (typeof customers)[number], v: number): Money => ({ currency: c.currency as CurrencyCode, valueMinor: BigInt(v) });

  const payments: { id: string; c: (typeof customers)[number]; payTo: number; surcharge: number }[] = [];
  const topUps: { key: string; c: number; v: number }[] = [];
  const refunds: { id: string; p: number; v: number }[] = [];
  const posted: TransferOutcome[] = [];
  for (const [i, v] of opening.entries()) {
    if (v > 0) posted.push(await wallets.topUp({ customerId: customers[i]!.id, amount: money(customers[i]!, v) }));
  }

  const debit = (p: (typeof payments)[number]) =>
    inLedgerTx(db, (l) => debitForPayment(l, { paymentId: p.id, customerId: p.c.id, payToAmount: money(p.c, p.payTo), surchargeAmount: money(p.c, p.surcharge), at }));

  const execute = async (op: Op): Promise<void> => {
    try {
      let outcome: TransferOutcome | undefined;
      switch (op.t) {
        case 'topUp': {
          const prior = op.replayOf === null ? undefined : topUps[op.replayOf % Math.max(topUps.length, 1)];
          const t = prior ?? { key: `p${r}t${topUps.length}`, c: op.c, v: op.v };
          if (!prior) topUps.push(t);
          outcome = await wallets.topUp({ customerId: customers[t.c]!.id, amount: money(customers[t.c]!, t.v), idempotencyKey: t.key });
          break;
        }
        case 'pay': {
          const p = { id: `p${r}pay${payments.length}`, c: customers[op.c]!, payTo: op.payTo, surcharge: op.surcharge };
          payments.push(p);
          outcome = await debit(p);
          break;
        }
        case 'repay': {
          const p = payments[op.p % Math.max(payments.length, 1)];
          if (!p) return;
          outcome = await debit(p);
          break;
        }
        case 'reverse': {
          const p = payments[op.p % Math.max(payments.length, 1)];
          if (!p) return;
          outcome = await inLedgerTx(db, (l) => reverseForPayment(l, { paymentId: p.id, at }));
          break;
        }
        case 'refund': {
          const prior = op.replayOf === null ? undefined : refunds[op.replayOf % Math.max(refunds.length, 1)];
          const p = prior ? payments[prior.p] : payments[op.p % Math.max(payments.length, 1)];
          if (!p) return;
          const rf = prior ?? { id: `p${r}rf${refunds.length}`, p: payments.indexOf(p), v: op.v };
          if (!prior) refunds.push(rf);
          outcome = await inLedgerTx(db, (l) => refundToWallet(l, { refundId: rf.id, paymentId: p.id, refundFromAmount: money(p.c, rf.v), at }));
          break;
        }
      }
      if (outcome) count(outcome.replayed ? `${outcome.transfer.kind} replayed` : outcome.transfer.kind);
      if (outcome && !outcome.replayed) posted.push(outcome);
    } catch (err) {
      if (err instanceof DomainError && ALLOWED_REFUSALS.has(err.code)) {
        count(err.code);
        return;
      }
      throw err;
    }
  };

  // Batches run one after another; the operations inside a batch race each other.
  for (const batch of batches) await Promise.all(batch.map(execute));

  // The books are read once per run (they are sums over the whole database, so they cover every
  // earlier run too); between batches the state is just another committed state like this one.
  const books = await readBooks(db);
  expect(books.unbalanced).toEqual([]);
  expect(books.drifted).toEqual([]);
  expect(books.negativeWallets).toEqual([]);
  for (const cur of CURRENCIES) {
    const held = kindTotal(books, cur, 'CUSTOMER_WALLET') + kindTotal(books, cur, 'SETTLEMENT') + kindTotal(books, cur, 'SURCHARGE');
    expect(held).toBe(books.topUps.get(cur) ?? 0n);
    expect(held + kindTotal(books, cur, 'FUNDING')).toBe(0n);
  }

  // Each wallet holds exactly what the reported transfers put in and took out.
  for (const c of customers) {
    const expected = posted
      .flatMap((o) => o.transfer.legs)
      .filter((l) => l.account.kind === 'CUSTOMER_WALLET' && l.account.customerId === c.id)
      .reduce((sum, l) => sum + l.amount.valueMinor, 0n);
    expect(await ledgerQueries(db).balanceOf(c.id, c.currency)).toBe(expected);
  }
  // No payment ever gave back more than it took.
  for (const p of payments) {
    const held = await inLedgerTx(db, (l) => l.heldForPayment(p.id));
    expect(held.settlement >= 0n && held.surcharge >= 0n).toBe(true);
    expect(held.settlement <= BigInt(p.payTo) && held.surcharge <= BigInt(p.surcharge)).toBe(true);
  }
}

it('keeps the books balanced under random sequences and concurrent interleavings', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { numRuns: realPostgres ? 25 : 15 });
  for (const what of ['TOP_UP', 'PAYMENT', 'REVERSAL', 'REFUND', 'TOP_UP replayed', 'PAYMENT replayed', 'USER_BALANCE_NOT_ENOUGH', 'REFUND_AMOUNT_EXCEED']) {
    expect(seen.get(what) ?? 0, what).toBeGreaterThan(0);
  }
}, 60_000);
