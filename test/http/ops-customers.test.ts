import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsHeaders, type TestApp, testApp } from '../support/harness.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const post = (payload: unknown, headers = opsHeaders()) => t.app.inject({ method: 'POST', url: '/ops/v1/customers', headers, payload: payload as object });
const get = (id: string, headers = opsHeaders()) => t.app.inject({ method: 'GET', url: `/ops/v1/customers/${id}`, headers });
const patch = (id: string, payload: unknown, headers = opsHeaders()) =>
  t.app.inject({ method: 'PATCH', url: `/ops/v1/customers/${id}`, headers, payload: payload as object });

describe('ops: customers', () => {
  it('refuses a request without a bearer token with 401 and a reason, and creates nothing', async () => {
    const res = await post({ customerId: 'no-token-1', currency: 'KRW' }, {});
    expect(res.statusCode).toBe(401);
    expect(res.json().result).toMatchObject({ resultCode: 'ACCESS_DENIED', resultStatus: 'F' });
    expect(res.json().result.resultMessage).toMatch(/token/);
    expect((await get('no-token-1')).statusCode).toBe(404);
  });

  it('refuses a wrong token, a token of another length and a non-Bearer scheme with 401 on every route', async () => {
    const wrong = [
      { authorization: 'Bearer test-ops-token-not-a-secret-000001' },
      { authorization: 'Bearer short' },
      { authorization: `Basic ${Buffer.from('ops:test-ops-token-not-a-secret-000000').toString('base64')}` },
    ];
    for (const headers of wrong) {
      expect((await post({ customerId: 'wrong-token-1', currency: 'KRW' }, headers)).statusCode).toBe(401);
      expect((await get('wrong-token-1', headers)).statusCode).toBe(401);
      expect((await patch('wrong-token-1', { status: 'FROZEN' }, headers)).statusCode).toBe(401);
    }
    expect((await get('wrong-token-1')).statusCode).toBe(404);
  });

  it('creates a customer with 201 and reads it back', async () => {
    const res = await post({ customerId: 'ops-c-1', currency: 'KRW' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      result: { resultCode: 'SUCCESS', resultStatus: 'S' },
      customer: { customerId: 'ops-c-1', currency: 'KRW', status: 'NORMAL' },
    });
    expect(res.json().customer.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    const read = await get('ops-c-1');
    expect(read.statusCode).toBe(200);
    expect(read.json().customer).toMatchObject({ customerId: 'ops-c-1', currency: 'KRW', status: 'NORMAL' });
  });

  it('makes up a customer id when none is given', async () => {
    const res = await post({ currency: 'USD' });
    expect(res.statusCode).toBe(201);
    expect(res.json().customer.customerId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('creates a customer frozen from the start when asked', async () => {
    const res = await post({ customerId: 'ops-frozen-1', currency: 'JPY', status: 'FROZEN' });
    expect(res.statusCode).toBe(201);
    expect(res.json().customer.status).toBe('FROZEN');
  });

  it('answers a duplicate customer id with 409 and leaves the first untouched', async () => {
    expect((await post({ customerId: 'ops-dup-1', currency: 'KRW' })).statusCode).toBe(201);
    const again = await post({ customerId: 'ops-dup-1', currency: 'USD' });
    expect(again.statusCode).toBe(409);
    expect(again.json().result.resultMessage).toContain('ops-dup-1');
    expect((await get('ops-dup-1')).json().customer.currency).toBe('KRW');
  });

  it.each([
    ['a currency that is not ISO 4217', { customerId: 'bad-cur-1', currency: 'XXY' }, 'currency'],
    ['a lower-case currency', { customerId: 'bad-cur-2', currency: 'krw' }, 'currency'],
    ['a currency of the wrong length', { customerId: 'bad-cur-3', currency: 'KRWX' }, 'currency'],
    ['a missing currency', { customerId: 'bad-cur-4' }, 'currency'],
    ['a customer id with spaces', { customerId: 'has space', currency: 'KRW' }, 'customerId'],
    ['a customer id longer than 64', { customerId: 'x'.repeat(65), currency: 'KRW' }, 'customerId'],
    ['a customer id of the wrong type', { customerId: 42, currency: 'KRW' }, 'customerId'],
    ['an unknown status', { customerId: 'bad-status-1', currency: 'KRW', status: 'CLOSED' }, 'status'],
  ])('refuses %s with 400 naming the field', async (_name, payload, field) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(res.json().result.resultMessage).toContain(field);
  });

  it('freezes and unfreezes a customer', async () => {
    await post({ customerId: 'ops-freeze-1', currency: 'KRW' });
    const frozen = await patch('ops-freeze-1', { status: 'FROZEN' });
    expect(frozen.statusCode).toBe(200);
    expect(frozen.json().customer.status).toBe('FROZEN');
    expect((await get('ops-freeze-1')).json().customer.status).toBe('FROZEN');
    const again = await patch('ops-freeze-1', { status: 'FROZEN' });
    expect(again.statusCode).toBe(200);
    const unfrozen = await patch('ops-freeze-1', { status: 'NORMAL' });
    expect(unfrozen.json().customer.status).toBe('NORMAL');
    expect((await get('ops-freeze-1')).json().customer.status).toBe('NORMAL');
  });

  it('refuses an unknown status in PATCH with 400 naming status', async () => {
    await post({ customerId: 'ops-patch-bad-1', currency: 'KRW' });
    const res = await patch('ops-patch-bad-1', { status: 'DELETED' });
    expect(res.statusCode).toBe(400);
    expect(res.json().result.resultMessage).toContain('status');
    expect((await get('ops-patch-bad-1')).json().customer.status).toBe('NORMAL');
  });

  it('answers an unknown customer with 404 on GET and PATCH', async () => {
    for (const res of [await get('nobody-here'), await patch('nobody-here', { status: 'FROZEN' })]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().result).toMatchObject({ resultCode: 'USER_NOT_EXIST', resultStatus: 'F' });
    }
  });
});
