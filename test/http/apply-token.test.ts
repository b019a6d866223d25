import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyTokenResponse } from '../../src/http/alipayplus/authorizations.ts';
import { createCustomer, FakeClock, opsHeaders, responseSignatureValid, TEST_ACQUIRER_ID, TEST_PSP_ID, type TestApp, testApp } from '../support/harness.ts';
import { APPLY_TOKEN, applyWithCode, applyWithRefresh, authCodeFor, inquiryUserInfo, post, resultOf, tokensFor } from '../support/tokens.ts';

const BASE = new Date('2030-06-01T00:00:00.000Z');
const clock = new FakeClock(BASE);
let t: TestApp;
let seq = 0;

beforeAll(async () => {
  t = await testApp({ clock });
});
afterAll(async () => t.close());
beforeEach(() => clock.set(BASE));

/** A customer of its own for each scenario. */
async function customer(status: 'NORMAL' | 'FROZEN' = 'NORMAL'): Promise<string> {
  const id = `at-${++seq}`;
  await createCustomer(t.app, id, 'KRW', status);
  return id;
}

const setStatus = (id: string, status: string) => t.app.inject({ method: 'PATCH', url: `/ops/v1/customers/${id}`, headers: opsHeaders(), payload: { status } });

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function counts() {
  const db = t.database.db;
  const [g, a, used] = await Promise.all([
    db
      .selectFrom('grants')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('access_tokens')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('auth_codes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('used_at', 'is not', null)
      .executeTakeFirstOrThrow(),
  ]);
  return { grants: Number(g.n), accessTokens: Number(a.n), usedCodes: Number(used.n) };
}

describe('applyToken with AUTHORIZATION_CODE (§3)', () => {
  it('exchanges a fresh auth code for tokens of the JWT customer, in a signed answer', async () => {
    const id = await customer();
    const code = await authCodeFor(t, id);
    const res = await applyWithCode(t, code);
    expect(res.statusCode).toBe(200);
    expect(await responseSignatureValid(APPLY_TOKEN, res)).toBe(true);
    const body = applyTokenResponse.parse(res.json());
    expect(body.result).toEqual({ resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' });
    expect(body.customerId).toBe(id);
    expect(body.accessToken.length).toBeLessThanOrEqual(128);
    expect(body.refreshToken.length).toBeLessThanOrEqual(128);
    expect(body.accessToken).not.toBe(body.refreshToken);
    // Configured defaults: access 3600 s, refresh 2 x 366 days (732 days: 2030-06-01 + 731 is 2032-06-01).
    expect(body.accessTokenExpiryTime).toBe('2030-06-01T01:00:00+00:00');
    expect(body.refreshTokenExpiryTime).toBe('2032-06-02T00:00:00+00:00');
    expect(body).not.toHaveProperty('passThroughInfo');
  });

  it('answers the same auth code a second time with F USED_CODE', async () => {
    const code = await authCodeFor(t, await customer());
    expect(resultOf(await applyWithCode(t, code)).resultStatus).toBe('S');
    const again = await applyWithCode(t, code);
    expect(resultOf(again)).toMatchObject({ resultCode: 'USED_CODE', resultStatus: 'F' });
    expect(again.json()).not.toHaveProperty('accessToken');
    expect(await responseSignatureValid(APPLY_TOKEN, again)).toBe(true);
  });

  it('answers an unknown auth code with F INVALID_CODE', async () => {
    const res = await applyWithCode(t, '663A8FA9D83648EE8AA11FF682989999');
    expect(resultOf(res)).toMatchObject({ resultCode: 'INVALID_CODE', resultStatus: 'F' });
  });

  it('answers an auth code at its expiry time with F EXPIRED_CODE, and accepts it one second before', async () => {
    const id = await customer();
    const expiring = await authCodeFor(t, id);
    const stillGood = await authCodeFor(t, id);
    clock.advance(299_000);
    expect(resultOf(await applyWithCode(t, stillGood)).resultStatus).toBe('S');
    clock.advance(1_000);
    expect(resultOf(await applyWithCode(t, expiring))).toMatchObject({ resultCode: 'EXPIRED_CODE', resultStatus: 'F' });
    // A used code stays "used" after its expiry.
    expect(resultOf(await applyWithCode(t, stillGood)).resultCode).toBe('USED_CODE');
  });

  it('echoes passThroughInfo, and takes null for an optional field as absent', async () => {
    const id = await customer();
    const info = JSON.stringify({ session: 'abc', n: '1' });
    const res = await applyWithCode(t, await authCodeFor(t, id), { passThroughInfo: info });
    expect(res.json().passThroughInfo).toBe(info);
    const withNull = await applyWithCode(t, await authCodeFor(t, id), { passThroughInfo: null, refreshToken: null });
    expect(resultOf(withNull).resultStatus).toBe('S');
    expect(withNull.json()).not.toHaveProperty('passThroughInfo');
  });

  it('refuses another acquirerId with F ACCESS_DENIED and leaves the code usable', async () => {
    const code = await authCodeFor(t, await customer());
    const res = await applyWithCode(t, code, { acquirerId: '1022188000000000001' });
    expect(resultOf(res)).toMatchObject({ resultCode: 'ACCESS_DENIED', resultStatus: 'F' });
    expect(resultOf(res).resultMessage).toContain('acquirerId');
    expect(resultOf(await applyWithCode(t, code)).resultStatus).toBe('S');
  });

  it('refuses another pspId with F ACCESS_DENIED and leaves the code usable', async () => {
    const code = await authCodeFor(t, await customer());
    expect(resultOf(await applyWithCode(t, code, { pspId: '1022088000000009999' })).resultCode).toBe('ACCESS_DENIED');
    expect(resultOf(await applyWithCode(t, code)).resultStatus).toBe('S');
  });

  it('refuses the code of a customer frozen since with F USER_STATUS_ABNORMAL, and the code works again once unfrozen', async () => {
    const id = await customer();
    const code = await authCodeFor(t, id);
    await setStatus(id, 'FROZEN');
    const before = await counts();
    expect(resultOf(await applyWithCode(t, code))).toMatchObject({ resultCode: 'USER_STATUS_ABNORMAL', resultStatus: 'F' });
    expect(await counts()).toEqual(before);
    await setStatus(id, 'NORMAL');
    expect(resultOf(await applyWithCode(t, code)).resultStatus).toBe('S');
  });

  it('stores tokens only as their SHA-256 hashes', async () => {
    const tokens = await tokensFor(t, await customer());
    const db = t.database.db;
    const dump = JSON.stringify([await db.selectFrom('grants').selectAll().execute(), await db.selectFrom('access_tokens').selectAll().execute()]);
    for (const secret of [tokens.accessToken, tokens.refreshToken]) {
      expect(dump.toLowerCase()).not.toContain(secret.toLowerCase());
      expect(dump).toContain(sha256(secret));
    }
  });
});

describe('applyToken with REFRESH_TOKEN (§3)', () => {
  it('issues a new access token that inquiryUserInfo accepts; the refresh token keeps its expiry', async () => {
    const id = await customer();
    const first = await tokensFor(t, id);
    clock.advance(3_000_000);
    const res = await applyWithRefresh(t, first.refreshToken, { passThroughInfo: 'p' });
    expect(await responseSignatureValid(APPLY_TOKEN, res)).toBe(true);
    const body = applyTokenResponse.parse(res.json());
    expect(body.result.resultStatus).toBe('S');
    expect(body.accessToken).not.toBe(first.accessToken);
    expect(body.refreshToken).toBe(first.refreshToken);
    expect(body.refreshTokenExpiryTime).toBe(first.refreshTokenExpiryTime);
    expect(body.accessTokenExpiryTime).toBe('2030-06-01T01:50:00+00:00');
    expect(body.customerId).toBe(id);
    expect(body.passThroughInfo).toBe('p');
    expect((await inquiryUserInfo(t, body.accessToken)).json().userInfo).toEqual({ userId: id });
    // The refresh token can be used again (no rotation: a retry after a lost answer still works).
    expect(resultOf(await applyWithRefresh(t, first.refreshToken)).resultStatus).toBe('S');
  });

  it('answers an unknown refresh token, or an access token passed as one, with F INVALID_REFRESH_TOKEN', async () => {
    const tokens = await tokensFor(t, await customer());
    expect(resultOf(await applyWithRefresh(t, 'A'.repeat(64)))).toMatchObject({ resultCode: 'INVALID_REFRESH_TOKEN', resultStatus: 'F' });
    expect(resultOf(await applyWithRefresh(t, tokens.accessToken)).resultCode).toBe('INVALID_REFRESH_TOKEN');
  });

  it('answers a refresh token at its expiry with F EXPIRED_REFRESH_TOKEN', async () => {
    const tokens = await tokensFor(t, await customer());
    clock.set(new Date(Date.parse(tokens.refreshTokenExpiryTime) - 1000));
    expect(resultOf(await applyWithRefresh(t, tokens.refreshToken)).resultStatus).toBe('S');
    clock.set(new Date(Date.parse(tokens.refreshTokenExpiryTime)));
    expect(resultOf(await applyWithRefresh(t, tokens.refreshToken))).toMatchObject({ resultCode: 'EXPIRED_REFRESH_TOKEN', resultStatus: 'F' });
  });

  it('refuses a refresh for a frozen customer with F USER_STATUS_ABNORMAL and issues nothing', async () => {
    const id = await customer();
    const tokens = await tokensFor(t, id);
    await setStatus(id, 'FROZEN');
    const before = await counts();
    expect(resultOf(await applyWithRefresh(t, tokens.refreshToken)).resultCode).toBe('USER_STATUS_ABNORMAL');
    expect(await counts()).toEqual(before);
  });
});

describe('applyToken with bad input (§1: F PARAM_ILLEGAL naming the field, nothing changed)', () => {
  const long = (n: number) => 'A'.repeat(n);
  type Body = Record<string, unknown>;
  const without = (field: string) => (b: Body) => Object.fromEntries(Object.entries(b).filter(([k]) => k !== field));
  const withField = (field: string, value: unknown) => (b: Body) => ({ ...b, [field]: value });
  const asRefresh = (extra: Body) => (b: Body) => ({ ...without('authCode')(b), grantType: 'REFRESH_TOKEN', ...extra });

  const cases: [string, (b: Body) => Body, string][] = [
    ['pspId missing', without('pspId'), 'pspId'],
    // biome-ignore lint/correctness/noPrecisionLoss: a pspId sent as a JSON number (losing digits) is the point
    ['pspId a number', withField('pspId', 1022088000000000001), 'pspId'],
    ['pspId too long', withField('pspId', long(65)), 'pspId'],
    ['pspId null', withField('pspId', null), 'pspId'],
    ['acquirerId missing', without('acquirerId'), 'acquirerId'],
    ['acquirerId a number', withField('acquirerId', 2052666000000000), 'acquirerId'],
    ['acquirerId too long', withField('acquirerId', long(65)), 'acquirerId'],
    ['acquirerId empty', withField('acquirerId', ''), 'acquirerId'],
    ['grantType missing', without('grantType'), 'grantType'],
    ['grantType unknown', withField('grantType', 'PASSWORD'), 'grantType'],
    ['grantType in lower case', withField('grantType', 'authorization_code'), 'grantType'],
    ['grantType a list', withField('grantType', ['AUTHORIZATION_CODE']), 'grantType'],
    ['authCode missing', without('authCode'), 'authCode'],
    ['authCode null', withField('authCode', null), 'authCode'],
    ['authCode a number', withField('authCode', 12345), 'authCode'],
    ['authCode too long', withField('authCode', long(33)), 'authCode'],
    ['authCode empty', withField('authCode', ''), 'authCode'],
    ['refreshToken missing with REFRESH_TOKEN', asRefresh({}), 'refreshToken'],
    ['refreshToken a number', asRefresh({ refreshToken: 7 }), 'refreshToken'],
    ['refreshToken too long', asRefresh({ refreshToken: long(129) }), 'refreshToken'],
    ['refreshToken an object', asRefresh({ refreshToken: { token: 'x' } }), 'refreshToken'],
    ['passThroughInfo a number', withField('passThroughInfo', 5), 'passThroughInfo'],
    ['passThroughInfo an object', withField('passThroughInfo', { a: 'b' }), 'passThroughInfo'],
    ['passThroughInfo too long', withField('passThroughInfo', long(20_001)), 'passThroughInfo'],
    ['passThroughInfo empty', withField('passThroughInfo', ''), 'passThroughInfo'],
  ];

  let code: string;
  let good: Body;
  let before: Awaited<ReturnType<typeof counts>>;
  beforeAll(async () => {
    clock.set(BASE);
    code = await authCodeFor(t, await customer());
    good = { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, grantType: 'AUTHORIZATION_CODE', authCode: code, passThroughInfo: 'x' };
    before = await counts();
  });

  it.each(cases)('%s', async (_name, mutate, field) => {
    const res = await post(t, APPLY_TOKEN, mutate(good));
    expect(res.statusCode).toBe(200);
    expect(resultOf(res)).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(resultOf(res).resultMessage).toContain(field);
    expect(res.json()).not.toHaveProperty('accessToken');
    expect(await responseSignatureValid(APPLY_TOKEN, res)).toBe(true);
    expect(await counts()).toEqual(before);
  });

  it('left the auth code usable after all of them', async () => {
    expect(await counts()).toEqual(before);
    expect(resultOf(await post(t, APPLY_TOKEN, good)).resultStatus).toBe('S');
  });
});
