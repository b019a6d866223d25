import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, opsHeaders, type TestApp, testApp } from '../support/harness.ts';

let t: TestApp;
beforeAll(async () => {
  // The limiter's fixed windows follow the injected clock: stand still a second into a window,
  // so the five calls can never straddle a window boundary (they did once in CI, by the wall clock).
  const clock = new FakeClock(new Date(Math.floor(Date.now() / 60_000) * 60_000 + 1000));
  t = await testApp({ clock, env: { RATE_LIMIT_OPS_PER_MINUTE: '3', RATE_LIMIT_APP_PER_MINUTE: '2' } });
});
afterAll(async () => t.close());

describe('rate limits on the ops and app routes', () => {
  it('answers 429 with Retry-After once a client passes its ops limit', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/ops/v1/customers/nobody', headers: opsHeaders() });
      codes.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        expect(res.json().result.resultCode).toBe('SYSTEM_BUSY');
      }
    }
    expect(codes).toEqual([404, 404, 404, 429, 429]);
  });
});
