/**
 * Issue 16 item 3: ops money creation is controlled. A top-up needs an Idempotency-Key (a retry
 * after a timeout credits once) and a reason; it records which ops token made it (a label per
 * token, several tokens configurable); it is capped per currency; GET customer shows the history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, opsHeaders, type TestApp, testApp } from '../support/harness.ts';

const AUDITOR_TOKEN = 'auditor-ops-token-not-a-secret-0000000';
let t: TestApp;

beforeAll(async () => {
  t = await testApp({ env: { OPS_API_TOKENS: `treasury:${AUDITOR_TOKEN}`, TOP_UP_MAX_AMOUNTS: 'KRW:1000000' } });
  await createCustomer(t.app, 'tu1', 'KRW');
  await createCustomer(t.app, 'tu2', 'KRW');
});
afterAll(async () => t.close());

const topUp = (customerId: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/ops/v1/customers/${customerId}/topUps`, headers: { ...opsHeaders(), ...headers }, payload });
const customer = async (id: string) => (await t.app.inject({ method: 'GET', url: `/ops/v1/customers/${id}`, headers: opsHeaders() })).json();

describe('ops top-ups are controlled', () => {
  it('refuses a top-up without an Idempotency-Key (400 naming it), and moves nothing', async () => {
    const res = await topUp('tu1', { amount: { currency: 'KRW', value: '500' }, reason: 'goodwill credit' });
    expect(res.statusCode).toBe(400);
    expect(res.json().result.resultMessage).toContain('Idempotency-Key');
    expect((await customer('tu1')).customer.balance.value).toBe('0');
  });

  it('refuses a top-up without a reason', async () => {
    const res = await topUp('tu1', { amount: { currency: 'KRW', value: '500' } }, { 'idempotency-key': 'no-reason-1' });
    expect(res.statusCode).toBe(400);
    expect(res.json().result.resultMessage).toContain('reason');
  });

  it('a retry after a timeout (same key) credits once', async () => {
    const body = { amount: { currency: 'KRW', value: '700' }, reason: 'refund of a failed order #81' };
    const [a, b] = await Promise.all([topUp('tu2', body, { 'idempotency-key': 'retry-1' }), topUp('tu2', body, { 'idempotency-key': 'retry-1' })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
    expect((await topUp('tu2', body, { 'idempotency-key': 'retry-1' })).json().replayed).toBe(true);
    expect((await customer('tu2')).customer.balance.value).toBe('700');
  });

  it('refuses a top-up above the configured maximum for its currency', async () => {
    const res = await topUp('tu1', { amount: { currency: 'KRW', value: '1000001' }, reason: 'too much' }, { 'idempotency-key': 'big-1' });
    expect(res.statusCode).toBe(400);
    expect(res.json().result.resultMessage).toContain('amount.value');
    expect((await topUp('tu1', { amount: { currency: 'KRW', value: '1000000' }, reason: 'at the cap' }, { 'idempotency-key': 'big-2' })).statusCode).toBe(201);
  });

  it("records who (the ops token's label) and why, visible in GET customer history, newest first", async () => {
    await createCustomer(t.app, 'tu3', 'KRW');
    await topUp('tu3', { amount: { currency: 'KRW', value: '100' }, reason: 'first deposit' }, { 'idempotency-key': 'h-1' });
    await topUp(
      'tu3',
      { amount: { currency: 'KRW', value: '250' }, reason: 'chargeback reversal' },
      { 'idempotency-key': 'h-2', authorization: `Bearer ${AUDITOR_TOKEN}` },
    );
    const body = await customer('tu3');
    expect(body.customer.balance.value).toBe('350');
    expect(body.customer.topUps).toHaveLength(2);
    expect(body.customer.topUps[0]).toMatchObject({ amount: { currency: 'KRW', value: '250' }, by: 'treasury', reason: 'chargeback reversal', idempotencyKey: 'h-2' });
    expect(body.customer.topUps[1]).toMatchObject({ amount: { currency: 'KRW', value: '100' }, by: 'ops', reason: 'first deposit', idempotencyKey: 'h-1' });
    expect(body.customer.topUps[0].transferId).toMatch(/^\d+$/);
    expect(body.customer.topUps[0].createdAt).toMatch(/[+-]\d\d:\d\d$/);
  });
});
