import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cancelTokenResponse, inquiryUserInfoResponse } from '../../src/http/alipayplus/authorizations.ts';
import { createCustomer, FakeClock, opsHeaders, responseSignatureValid, TEST_ACQUIRER_ID, TEST_PSP_ID, type TestApp, testApp } from '../support/harness.ts';
import { applyWithRefresh, CANCEL_TOKEN, cancelToken, INQUIRY_USER_INFO, inquiryUserInfo, post, resultOf, tokensFor } from '../support/tokens.ts';

const BASE = new Date('2031-01-15T08:00:00.000Z');
const clock = new FakeClock(BASE);
let t: TestApp;
let seq = 0;

beforeAll(async () => {
  t = await testApp({ clock });
});
afterAll(async () => t.close());
beforeEach(() => clock.set(BASE));

async function customer(): Promise<string> {
  const id = `lc-${++seq}`;
  await createCustomer(t.app, id, 'USD');
  return id;
}

const setStatus = (id: string, status: string) => t.app.inject({ method: 'PATCH', url: `/ops/v1/customers/${id}`, headers: opsHeaders(), payload: { status } });

describe('inquiryUserInfo (§3)', () => {
  it('answers a valid access token with userInfo.userId = the customerId, signed', async () => {
    const id = await customer();
    const tokens = await tokensFor(t, id);
    const res = await inquiryUserInfo(t, tokens.accessToken);
    expect(await responseSignatureValid(INQUIRY_USER_INFO, res)).toBe(true);
    const body = inquiryUserInfoResponse.parse(res.json());
    expect(body.result.resultStatus).toBe('S');
    expect(body.userInfo.userId).toBe(id);
  });

  it('answers an unknown access token, or a refresh token passed as one, with F INVALID_TOKEN', async () => {
    const tokens = await tokensFor(t, await customer());
    expect(resultOf(await inquiryUserInfo(t, 'B'.repeat(64)))).toMatchObject({ resultCode: 'INVALID_TOKEN', resultStatus: 'F' });
    expect(resultOf(await inquiryUserInfo(t, tokens.refreshToken)).resultCode).toBe('INVALID_TOKEN');
  });

  it('answers an access token at its expiry with F EXPIRED_ACCESS_TOKEN, and accepts it one second before', async () => {
    const tokens = await tokensFor(t, await customer());
    const expiry = Date.parse(tokens.accessTokenExpiryTime);
    clock.set(new Date(expiry - 1000));
    expect(resultOf(await inquiryUserInfo(t, tokens.accessToken)).resultStatus).toBe('S');
    clock.set(new Date(expiry));
    expect(resultOf(await inquiryUserInfo(t, tokens.accessToken))).toMatchObject({ resultCode: 'EXPIRED_ACCESS_TOKEN', resultStatus: 'F' });
  });

  it('answers F USER_STATUS_ABNORMAL while the customer is frozen, and S again once unfrozen', async () => {
    const id = await customer();
    const tokens = await tokensFor(t, id);
    await setStatus(id, 'FROZEN');
    expect(resultOf(await inquiryUserInfo(t, tokens.accessToken)).resultCode).toBe('USER_STATUS_ABNORMAL');
    await setStatus(id, 'NORMAL');
    expect(resultOf(await inquiryUserInfo(t, tokens.accessToken)).resultStatus).toBe('S');
  });
});

describe('cancelToken (§3)', () => {
  it('revokes the access token and its refresh token', async () => {
    const tokens = await tokensFor(t, await customer());
    const res = await cancelToken(t, tokens.accessToken);
    expect(await responseSignatureValid(CANCEL_TOKEN, res)).toBe(true);
    expect(cancelTokenResponse.parse(res.json()).result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(resultOf(await inquiryUserInfo(t, tokens.accessToken))).toMatchObject({ resultCode: 'INVALID_TOKEN', resultStatus: 'F' });
    expect(resultOf(await applyWithRefresh(t, tokens.refreshToken))).toMatchObject({ resultCode: 'INVALID_REFRESH_TOKEN', resultStatus: 'F' });
  });

  it('gives the same answer every time for the same access token', async () => {
    const tokens = await tokensFor(t, await customer());
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await cancelToken(t, tokens.accessToken)).json());
    expect(answers[0].result.resultStatus).toBe('S');
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('answers an unknown access token with F INVALID_TOKEN, every time', async () => {
    const first = (await cancelToken(t, 'C'.repeat(64))).json();
    expect(first.result).toMatchObject({ resultCode: 'INVALID_TOKEN', resultStatus: 'F' });
    expect((await cancelToken(t, 'C'.repeat(64))).json()).toEqual(first);
  });

  it('ends every access token of the grant: cancelling a refreshed token kills the first one too', async () => {
    const tokens = await tokensFor(t, await customer());
    const refreshed = (await applyWithRefresh(t, tokens.refreshToken)).json();
    expect(refreshed.result.resultStatus).toBe('S');
    expect(resultOf(await cancelToken(t, refreshed.accessToken)).resultStatus).toBe('S');
    for (const accessToken of [tokens.accessToken, refreshed.accessToken]) {
      expect(resultOf(await inquiryUserInfo(t, accessToken)).resultCode).toBe('INVALID_TOKEN');
    }
    expect(resultOf(await applyWithRefresh(t, tokens.refreshToken)).resultCode).toBe('INVALID_REFRESH_TOKEN');
  });

  it("leaves the customer's other authorizations alone", async () => {
    const id = await customer();
    const one = await tokensFor(t, id);
    const two = await tokensFor(t, id);
    await cancelToken(t, one.accessToken);
    expect(resultOf(await inquiryUserInfo(t, two.accessToken)).resultStatus).toBe('S');
    expect(resultOf(await applyWithRefresh(t, two.refreshToken)).resultStatus).toBe('S');
  });

  it('revokes the grant with an access token that has already expired', async () => {
    const tokens = await tokensFor(t, await customer());
    clock.set(new Date(Date.parse(tokens.accessTokenExpiryTime) + 60_000));
    expect(resultOf(await cancelToken(t, tokens.accessToken)).resultStatus).toBe('S');
    expect(resultOf(await applyWithRefresh(t, tokens.refreshToken)).resultCode).toBe('INVALID_REFRESH_TOKEN');
    // Revoked beats expired.
    expect(resultOf(await inquiryUserInfo(t, tokens.accessToken)).resultCode).toBe('INVALID_TOKEN');
  });

  it('works for a frozen customer too', async () => {
    const id = await customer();
    const tokens = await tokensFor(t, id);
    await setStatus(id, 'FROZEN');
    expect(resultOf(await cancelToken(t, tokens.accessToken)).resultStatus).toBe('S');
    await setStatus(id, 'NORMAL');
    expect(resultOf(await inquiryUserInfo(t, tokens.accessToken)).resultCode).toBe('INVALID_TOKEN');
  });
});

describe('cancelToken and inquiryUserInfo with bad input', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['accessToken missing', { accessToken: undefined }, 'PARAM_ILLEGAL', 'accessToken'],
    ['accessToken a number', { accessToken: 42 }, 'PARAM_ILLEGAL', 'accessToken'],
    ['accessToken too long', { accessToken: 'D'.repeat(129) }, 'PARAM_ILLEGAL', 'accessToken'],
    ['accessToken empty', { accessToken: '' }, 'PARAM_ILLEGAL', 'accessToken'],
    ['acquirerId missing', { acquirerId: undefined }, 'PARAM_ILLEGAL', 'acquirerId'],
    ['acquirerId another', { acquirerId: '1022188000000000001' }, 'ACCESS_DENIED', 'acquirerId'],
    ['pspId missing', { pspId: undefined }, 'PARAM_ILLEGAL', 'pspId'],
  ];

  for (const path of [CANCEL_TOKEN, INQUIRY_USER_INFO]) {
    it.each(cases)(`${path.split('/').pop()}: %s`, async (_name, change, code, field) => {
      const tokens = await tokensFor(t, await customer());
      const body = { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, accessToken: tokens.accessToken, ...change };
      const res = await post(t, path, JSON.parse(JSON.stringify(body)));
      expect(resultOf(res)).toMatchObject({ resultCode: code, resultStatus: 'F' });
      expect(resultOf(res).resultMessage).toContain(field);
      expect(await responseSignatureValid(path, res)).toBe(true);
      // Nothing was revoked.
      expect(resultOf(await inquiryUserInfo(t, tokens.accessToken)).resultStatus).toBe('S');
    });
  }
});
