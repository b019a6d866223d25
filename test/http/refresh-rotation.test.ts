/**
 * §3 revision 2: a refresh rotates both tokens; the old pair keeps working for
 * REFRESH_GRACE_SECONDS; a repeat of the same refresh within the grace gets the same new pair
 * (stored in Postgres, so any instance answers the same); only hashes are stored. And the token
 * routes record acquirerId without refusing an acquirer other than Alipay+ (pspId still gates).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCustomer, FakeClock, TEST_PSP_ID, type TestApp, testApp } from '../support/harness.ts';
import {
  applyWithCode,
  applyWithRefresh,
  authCodeFor,
  CANCEL_TOKEN,
  cancelToken,
  INQUIRY_USER_INFO,
  inquiryUserInfo,
  post,
  resultOf,
  tokensFor,
} from '../support/tokens.ts';

const BASE = new Date('2030-06-01T00:00:00.000Z');
const clock = new FakeClock(BASE);
let t: TestApp;
let seq = 0;

beforeAll(async () => {
  t = await testApp({ clock, env: { REFRESH_GRACE_SECONDS: '120' } });
});
afterAll(async () => t.close());
beforeEach(() => clock.set(BASE));

async function customer(): Promise<string> {
  const id = `rr-${++seq}`;
  await createCustomer(t.app, id, 'KRW');
  return id;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const advance = (seconds: number) => clock.set(new Date(clock.now().getTime() + seconds * 1000));

describe('refresh rotates the tokens (§3 revision 2)', () => {
  it('issues a new access and refresh token; the old pair works for the grace period, then not', async () => {
    const first = await tokensFor(t, await customer());
    advance(10);
    const res = await applyWithRefresh(t, first.refreshToken);
    const second = res.json();
    expect(resultOf(res)).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.refreshTokenExpiryTime).not.toBe(first.refreshTokenExpiryTime); // a fresh lifetime from now
    expect(resultOf(await inquiryUserInfo(t, second.accessToken)).resultStatus).toBe('S');

    advance(119); // within the 120 s grace: the old pair still works
    expect(resultOf(await inquiryUserInfo(t, first.accessToken)).resultStatus).toBe('S');
    advance(2); // past it
    expect(resultOf(await inquiryUserInfo(t, first.accessToken)).resultCode).toBe('EXPIRED_ACCESS_TOKEN');
    expect(resultOf(await applyWithRefresh(t, first.refreshToken)).resultCode).toBe('INVALID_REFRESH_TOKEN');
    // the new pair lives on and rotates in turn
    expect(resultOf(await inquiryUserInfo(t, second.accessToken)).resultStatus).toBe('S');
    const third = (await applyWithRefresh(t, second.refreshToken)).json();
    expect(third.result.resultStatus).toBe('S');
    expect(third.refreshToken).not.toBe(second.refreshToken);
  });

  it('answers a repeat of the same refresh within the grace with the same new pair, not a third one', async () => {
    const first = await tokensFor(t, await customer());
    const a = (await applyWithRefresh(t, first.refreshToken)).json();
    advance(60);
    const b = (await applyWithRefresh(t, first.refreshToken)).json();
    expect(b.result.resultStatus).toBe('S');
    expect([b.accessToken, b.refreshToken, b.accessTokenExpiryTime, b.refreshTokenExpiryTime]).toEqual([
      a.accessToken,
      a.refreshToken,
      a.accessTokenExpiryTime,
      a.refreshTokenExpiryTime,
    ]);
    const grants = await t.database.db.selectFrom('grants').select('id').where('customer_id', '=', first.customerId).execute();
    const tokens = await t.database.db.selectFrom('access_tokens').select('token_hash').where('grant_id', '=', grants[0]!.id).execute();
    expect(tokens).toHaveLength(2); // the first access token and the one rotation issued
  });

  it('stores only hashes of the rotated tokens, and a second app on the same database answers the same', async () => {
    const first = await tokensFor(t, await customer());
    const a = (await applyWithRefresh(t, first.refreshToken)).json();
    const other = await testApp({ clock, database: t.database, env: { REFRESH_GRACE_SECONDS: '120' } });
    try {
      const b = (await applyWithRefresh({ app: other.app, clock }, first.refreshToken)).json();
      expect([b.accessToken, b.refreshToken]).toEqual([a.accessToken, a.refreshToken]);
    } finally {
      await other.close();
    }
    const dump = JSON.stringify(
      await Promise.all(
        ['grants', 'access_tokens', 'refresh_rotations'].map((table) =>
          t.database.db
            .selectFrom(table as 'grants')
            .selectAll()
            .execute(),
        ),
      ),
      (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
    );
    for (const secret of [a.accessToken, a.refreshToken, first.refreshToken]) expect(dump).not.toContain(secret);
    const grant = await t.database.db.selectFrom('grants').selectAll().where('customer_id', '=', first.customerId).executeTakeFirstOrThrow();
    expect(grant.refresh_token_hash).toBe(sha256(a.refreshToken));
  });

  it('cancelToken ends the rotated pair and the old one within the grace', async () => {
    const first = await tokensFor(t, await customer());
    const a = (await applyWithRefresh(t, first.refreshToken)).json();
    expect(resultOf(await cancelToken(t, a.accessToken)).resultStatus).toBe('S');
    expect(resultOf(await applyWithRefresh(t, first.refreshToken)).resultCode).toBe('INVALID_REFRESH_TOKEN');
    expect(resultOf(await applyWithRefresh(t, a.refreshToken)).resultCode).toBe('INVALID_REFRESH_TOKEN');
    expect(resultOf(await inquiryUserInfo(t, first.accessToken)).resultCode).toBe('INVALID_TOKEN');
  });
});

describe('acquirerId is recorded, not a gate (§3 revision 2)', () => {
  it('serves applyToken, inquiryUserInfo and cancelToken for another acquirer and records it on the grant', async () => {
    const acquirer = '1022188000000000001';
    const id = await customer();
    const res = await applyWithCode(t, await authCodeFor(t, id), { acquirerId: acquirer });
    expect(resultOf(res)).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    const grant = await t.database.db.selectFrom('grants').selectAll().where('customer_id', '=', id).executeTakeFirstOrThrow();
    expect(grant.acquirer_id).toBe(acquirer);
    const { accessToken } = res.json();
    const body = { pspId: TEST_PSP_ID, acquirerId: acquirer, accessToken };
    expect(resultOf(await post(t, INQUIRY_USER_INFO, body)).resultStatus).toBe('S');
    expect(resultOf(await applyWithRefresh(t, res.json().refreshToken, { acquirerId: acquirer })).resultStatus).toBe('S');
    expect(resultOf(await post(t, CANCEL_TOKEN, body)).resultStatus).toBe('S');
  });

  it('still refuses another pspId with F ACCESS_DENIED', async () => {
    const res = await applyWithCode(t, await authCodeFor(t, await customer()), { pspId: '1022088000000009999' });
    expect(resultOf(res)).toMatchObject({ resultCode: 'ACCESS_DENIED', resultStatus: 'F' });
  });
});
