import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt, createCustomer, FakeClock, type TestApp, testApp } from '../support/harness.ts';

const clock = new FakeClock(new Date('2030-03-01T10:00:00.250Z'));
let t: TestApp;
beforeAll(async () => {
  t = await testApp({ clock });
  await createCustomer(t.app, 'app-c-1', 'KRW');
  await createCustomer(t.app, 'app-frozen-1', 'KRW', 'FROZEN');
});
afterAll(async () => t.close());

async function requestCode(o: { customerId?: string; token?: string; payload?: unknown; app?: TestApp } = {}) {
  const token = o.token ?? (await appJwt(o.customerId ?? 'app-c-1', { now: clock.now() }));
  return (o.app ?? t).app.inject({
    method: 'POST',
    url: '/app/v1/authCodes',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(o.payload === undefined ? {} : { payload: o.payload as object }),
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const codeRows = () => t.database.db.selectFrom('auth_codes').selectAll().execute();

describe('POST /app/v1/authCodes (§3)', () => {
  it('issues a 32-character code for the JWT customer with the default scope, expiring after AUTH_CODE_TTL_SECONDS', async () => {
    const res = await requestCode({ payload: {} });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(body.authCode).toMatch(/^[0-9A-F]{32}$/);
    // 10:00:00.250 on the clock, 300 s default: the announced expiry is the enforced one.
    expect(body.authCodeExpiryTime).toBe('2030-03-01T10:05:00+00:00');
    const row = (await codeRows()).find((r) => r.code_hash === sha256(body.authCode));
    expect(row).toMatchObject({ customer_id: 'app-c-1', scopes: ['BASE_USER_INFO'], used_at: null });
    expect(row!.expires_at.toISOString()).toBe('2030-03-01T10:05:00.000Z');
  });

  it('works without any body at all', async () => {
    const res = await requestCode({});
    expect(res.statusCode).toBe(200);
    expect(res.json().authCode).toMatch(/^[0-9A-F]{32}$/);
  });

  it('stores the code only as its SHA-256 hash', async () => {
    const { authCode } = (await requestCode({ payload: {} })).json();
    const dump = JSON.stringify(await codeRows());
    expect(dump).not.toContain(authCode);
    expect(dump.toLowerCase()).not.toContain(authCode.toLowerCase());
    expect(dump).toContain(sha256(authCode));
  });

  it('hands out a different code every time', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 20; i++) codes.add((await requestCode({ payload: {} })).json().authCode);
    expect(codes.size).toBe(20);
  });

  it('carries the scopes asked for, without duplicates', async () => {
    const { authCode } = (await requestCode({ payload: { scopes: ['USER_NAME', 'BASE_USER_INFO', 'USER_NAME'] } })).json();
    const row = (await codeRows()).find((r) => r.code_hash === sha256(authCode));
    expect(row!.scopes).toEqual(['BASE_USER_INFO', 'USER_NAME']);
  });

  it.each([
    ['an unknown scope', { scopes: ['BASE_USER_INFO', 'ALL_THE_MONEY'] }, 'scopes.1'],
    ['an empty scope list', { scopes: [] }, 'scopes'],
    ['scopes that are not a list', { scopes: 'BASE_USER_INFO' }, 'scopes'],
    ['a scope of the wrong type', { scopes: [7] }, 'scopes.0'],
  ])('refuses %s with 400 naming the field, and stores nothing', async (_name, payload, field) => {
    const before = (await codeRows()).length;
    const res = await requestCode({ payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(res.json().result.resultMessage).toContain(field);
    expect((await codeRows()).length).toBe(before);
  });

  it.each([
    ['no bearer token', async () => '', /missing/],
    ['a token signed with another secret', async () => appJwt('app-c-1', { now: clock.now(), secret: 'another-secret-of-at-least-32-characters!' }), /invalid/],
    ['an expired token', async () => appJwt('app-c-1', { now: clock.now(), expiresInSeconds: -1 }), /expired/],
    ['garbage', async () => 'not.a.jwt', /invalid/],
  ])('refuses %s with 401 and a reason', async (_name, token, reason) => {
    const res = await requestCode({ token: await token(), payload: {} });
    expect(res.statusCode).toBe(401);
    expect(res.json().result.resultMessage).toMatch(reason);
    expect(res.json()).not.toHaveProperty('authCode');
  });

  it('gives no code to a customer that does not exist (404) or is frozen (400)', async () => {
    const before = (await codeRows()).length;
    const unknown = await requestCode({ customerId: 'app-nobody', payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().result.resultCode).toBe('USER_NOT_EXIST');
    const frozen = await requestCode({ customerId: 'app-frozen-1', payload: {} });
    expect(frozen.statusCode).toBe(400);
    expect(frozen.json().result.resultCode).toBe('USER_STATUS_ABNORMAL');
    expect(frozen.json()).not.toHaveProperty('authCode');
    expect((await codeRows()).length).toBe(before);
  });

  it('uses the configured AUTH_CODE_TTL_SECONDS', async () => {
    const other = await testApp({ clock, database: t.database, kv: t.kv, env: { AUTH_CODE_TTL_SECONDS: '60' } });
    try {
      const res = await requestCode({ app: other, payload: {} });
      expect(res.json().authCodeExpiryTime).toBe('2030-03-01T10:01:00+00:00');
    } finally {
      await other.app.close();
    }
  });
});
