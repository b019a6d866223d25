/**
 * Issue 9 point 3: per-client rate limits answering 429 with Retry-After. The ops side with a
 * valid token is test/http/rate-limit.test.ts; here the app side (per customer, from the JWT) and
 * the ops side under token guessing (every attempt counts, per address). The windows follow the
 * injected clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt, createCustomer, FakeClock, opsHeaders, type TestApp, testApp } from '../support/harness.ts';

const LIMIT = 3;
// 30 s into a minute window: Retry-After is then the 30 s left.
const clock = new FakeClock(new Date('2032-02-02T10:00:30.000Z'));
let t: TestApp;
beforeAll(async () => {
  t = await testApp({ clock, env: { RATE_LIMIT_APP_PER_MINUTE: String(LIMIT), RATE_LIMIT_OPS_PER_MINUTE: String(LIMIT) } });
  // created through ops before the clock-sensitive part: use up no app budget
  await createCustomer(t.app, 'rl-a', 'KRW');
  await createCustomer(t.app, 'rl-b', 'KRW');
});
afterAll(async () => t.close());

async function authCode(customerId: string) {
  return t.app.inject({ method: 'POST', url: '/app/v1/authCodes', headers: { authorization: `Bearer ${await appJwt(customerId, { now: clock.now() })}` }, payload: {} });
}

describe('rate limits per client', () => {
  it("answers the app customer's (limit+1)-th call in a minute with 429 and Retry-After, counts another customer separately, and lets the first in again next minute", async () => {
    clock.set(new Date('2032-02-02T10:00:30.000Z'));
    for (let i = 0; i < LIMIT; i++) expect((await authCode('rl-a')).statusCode).toBe(200);
    const refused = await authCode('rl-a');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.json().result).toMatchObject({ resultCode: 'SYSTEM_BUSY', resultStatus: 'U' });

    expect((await authCode('rl-b')).statusCode).toBe(200); // another customer has a budget of its own

    clock.set(new Date('2032-02-02T10:01:00.000Z'));
    expect((await authCode('rl-a')).statusCode).toBe(200);
  });

  it('counts a refused request too: a 429 costs the client nothing but does not reset its count', async () => {
    clock.set(new Date('2032-02-02T11:00:00.000Z'));
    const codes: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) codes.push((await authCode('rl-b')).statusCode);
    expect(codes).toEqual([...Array(LIMIT).fill(200), 429, 429, 429]);
  });

  it('counts every ops attempt per address, wrong tokens included: guessing the ops token is limited too', async () => {
    clock.set(new Date('2032-02-02T12:00:00.000Z'));
    const attempt = (authorization: string) => t.app.inject({ method: 'GET', url: '/ops/v1/customers/rl-a', headers: { authorization } });
    const codes: number[] = [];
    for (let i = 0; i < LIMIT; i++) codes.push((await attempt(`Bearer guess-${i}-${'x'.repeat(24)}`)).statusCode);
    codes.push((await attempt(opsHeaders().authorization!)).statusCode); // even the right token, once the budget is gone
    expect(codes).toEqual([401, 401, 401, 429]);
    clock.set(new Date('2032-02-02T12:01:00.000Z'));
    expect((await attempt(opsHeaders().authorization!)).statusCode).toBe(200);
  });

  it('lets requests through when the store holding the counters is unreachable (losing Redis must not stop payments)', async () => {
    const unreachable = Object.assign(Object.create(Object.getPrototypeOf(t.kv)), t.kv, {
      incrementWindow: async () => {
        throw new Error('Connection is closed.');
      },
    });
    const offline = await testApp({ clock, kv: unreachable, database: t.database, env: { RATE_LIMIT_APP_PER_MINUTE: '1' } });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await offline.app.inject({
          method: 'POST',
          url: '/app/v1/authCodes',
          headers: { authorization: `Bearer ${await appJwt('rl-a', { now: clock.now() })}` },
          payload: {},
        });
        expect(res.statusCode).toBe(200);
      }
    } finally {
      await offline.app.close();
    }
  });
});
