import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, opsHeaders, type TestApp, testApp } from '../support/harness.ts';

let t: TestApp;

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, 'w1', 'KRW');
  await createCustomer(t.app, 'w2', 'USD');
});
afterAll(async () => {
  await t.close();
});

let keys = 0;
/** A top-up as ops sends it: a reason, and a fresh Idempotency-Key unless the test names one (issue 16). */
const topUp = (customerId: string, payload: unknown, headers: Record<string, string> = {}) => {
  const p = payload as Record<string, unknown>;
  const keyed = 'idempotency-key' in headers || 'idempotencyKey' in p ? {} : { 'idempotency-key': `wr-${++keys}-${Date.now()}` };
  return t.app.inject({
    method: 'POST',
    url: `/ops/v1/customers/${customerId}/topUps`,
    headers: { ...opsHeaders(), ...keyed, ...headers },
    payload: { reason: 'test', ...p },
  });
};

describe('POST /ops/v1/customers/{customerId}/topUps', () => {
  it('tops up the wallet and shows the new balance, also in GET customer', async () => {
    const res = await topUp('w1', { amount: { currency: 'KRW', value: '15000' } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.result.resultStatus).toBe('S');
    expect(body.topUp).toMatchObject({ kind: 'TOP_UP', amount: { currency: 'KRW', value: '15000' } });
    expect(body.topUp.transferId).toMatch(/^\d+$/);
    expect(body.balance).toEqual({ currency: 'KRW', value: '15000' });
    const get = await t.app.inject({ method: 'GET', url: '/ops/v1/customers/w1', headers: opsHeaders() });
    expect(get.json().customer.balance).toEqual({ currency: 'KRW', value: '15000' });
  });

  it('tops up once for a repeated Idempotency-Key and answers the first transfer', async () => {
    const first = await topUp('w2', { amount: { currency: 'USD', value: '250' } }, { 'idempotency-key': 'ops-42' });
    const again = await topUp('w2', { amount: { currency: 'USD', value: '250' }, idempotencyKey: 'ops-42' });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ replayed: true, topUp: { transferId: first.json().topUp.transferId }, balance: { value: '250' } });
    const changed = await topUp('w2', { amount: { currency: 'USD', value: '251' } }, { 'idempotency-key': 'ops-42' });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().result.resultCode).toBe('REPEAT_REQ_INCONSISTENT');
  });

  it('tops up again on each call with a new key', async () => {
    await createCustomer(t.app, 'w3', 'JPY');
    await topUp('w3', { amount: { currency: 'JPY', value: '100' } });
    const res = await topUp('w3', { amount: { currency: 'JPY', value: '100' } });
    expect(res.json().balance).toEqual({ currency: 'JPY', value: '200' });
  });

  it('answers 404 for an unknown customer', async () => {
    const res = await topUp('ghost', { amount: { currency: 'KRW', value: '1' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().result.resultCode).toBe('USER_NOT_EXIST');
  });

  it.each([
    [{}, 'amount'],
    [{ amount: { currency: 'KRW', value: '1.5' } }, 'amount.value'],
    [{ amount: { currency: 'KRW', value: 100 } }, 'amount.value'],
    [{ amount: { currency: 'KRW', value: '0' } }, 'amount.value'],
    [{ amount: { currency: 'KRW', value: '-5' } }, 'amount.value'],
    [{ amount: { currency: 'krw', value: '5' } }, 'amount.currency'],
    [{ amount: { currency: 'ZZZ', value: '5' } }, 'amount.currency'],
    [{ amount: { currency: 'USD', value: '5' } }, 'amount.currency'],
    [{ amount: { currency: 'KRW', value: '5' }, idempotencyKey: 'has space' }, 'idempotencyKey'],
  ])('refuses %j with a 400 naming %s', async (payload, field) => {
    const res = await topUp('w1', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().result.resultMessage).toContain(field);
  });

  it('refuses a body key that differs from the Idempotency-Key header', async () => {
    const res = await topUp('w1', { amount: { currency: 'KRW', value: '5' }, idempotencyKey: 'a' }, { 'idempotency-key': 'b' });
    expect(res.statusCode).toBe(400);
    expect(res.json().result.resultMessage).toContain('idempotencyKey');
  });

  it('requires the ops token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/ops/v1/customers/w1/topUps', payload: { amount: { currency: 'KRW', value: '1' } } });
    expect(res.statusCode).toBe(401);
  });
});
