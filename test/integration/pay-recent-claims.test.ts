/**
 * pay's hint of recently claimed keys (RecentClaims): a repeat of a key this process has seen
 * claimed is answered from one read, without the accepting statement, with the same answer; and
 * the hint never decides alone: a hinted key with no claim in the database goes the usual way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payUseCase } from '../../src/domain/payments/pay.ts';
import type { PayStore } from '../../src/domain/payments/ports.ts';
import { RecentClaims } from '../../src/domain/payments/recent-claims.ts';
import { payStore } from '../../src/persistence/pay-store.ts';
import { paymentUnitOfWork } from '../../src/persistence/payments-repository.ts';
import { FakeClock, type TestDatabase, testConfig, testDatabase } from '../support/harness.ts';
import { seedPay } from '../support/payments.ts';

const CUSTOMER = 'recent-claims-c';
let database: TestDatabase;
const clock = new FakeClock();

beforeAll(async () => {
  database = await testDatabase();
  await database.db.insertInto('customers').values({ id: CUSTOMER, status: 'NORMAL', currency: 'KRW' }).execute();
});
afterAll(async () => {
  await database.close();
});

/** The real store, counting the calls of each method. */
function countingStore() {
  const inner = payStore(database.db);
  const calls = { lookup: 0, accept: 0, refuse: 0 };
  const store: PayStore = {
    lookup: (...a) => {
      calls.lookup++;
      return inner.lookup(...a);
    },
    accept: (...a) => {
      calls.accept++;
      return inner.accept(...a);
    },
    refuse: (...a) => {
      calls.refuse++;
      return inner.refuse(...a);
    },
  };
  return { store, calls };
}

function useCase(store: PayStore, recentClaims = new RecentClaims()) {
  return payUseCase({ store, uow: paymentUnitOfWork(database.db), clock, settings: testConfig(), recentClaims });
}

describe('pay with the hint of recent claims', () => {
  it('answers a repeat of an accepted key from one read, the same answer, no accepting statement', async () => {
    const { store, calls } = countingStore();
    const pay = useCase(store);
    const body = seedPay(CUSTOMER);
    const first = await pay.pay(body);
    expect(first.kind).toBe('ACCEPTED');
    expect(calls).toEqual({ lookup: 0, accept: 1, refuse: 0 });
    const again = await pay.pay(body);
    expect(again).toEqual(first);
    expect(calls).toEqual({ lookup: 1, accept: 1, refuse: 0 });
  });

  it('answers a repeat of a refused key from one read as well', async () => {
    const { store, calls } = countingStore();
    const pay = useCase(store);
    const body = seedPay('recent-claims-nobody');
    const first = await pay.pay(body);
    expect(first).toMatchObject({ kind: 'REFUSED', result: { resultCode: 'USER_NOT_EXIST' } });
    const before = { ...calls };
    expect(await pay.pay(body)).toEqual(first);
    expect(calls).toEqual({ ...before, lookup: before.lookup + 1 });
  });

  it('a hinted key with no claim in the database is accepted as a new one', async () => {
    const { store, calls } = countingStore();
    const hint = new RecentClaims();
    const body = seedPay(CUSTOMER);
    hint.add(body.pspId, body.paymentRequestId);
    const answer = await useCase(store, hint).pay(body);
    expect(answer.kind).toBe('ACCEPTED');
    expect(calls).toEqual({ lookup: 1, accept: 1, refuse: 0 });
    expect(await database.db.selectFrom('payments').select('id').where('payment_request_id', '=', body.paymentRequestId).execute()).toHaveLength(1);
  });

  it('keeps at most its capacity, forgetting the oldest first', () => {
    const hint = new RecentClaims(2);
    hint.add('p', 'a');
    hint.add('p', 'b');
    hint.add('p', 'a');
    hint.add('p', 'c');
    expect([hint.has('p', 'a'), hint.has('p', 'b'), hint.has('p', 'c')]).toEqual([false, true, true]);
  });
});
