/** Helpers for the §3 token tests: an auth code from the app route, signed applyToken & co. */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/domain/ports.ts';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { appJwt, signedPost, TEST_ACQUIRER_ID, TEST_PSP_ID } from './harness.ts';

export const APPLY_TOKEN = '/alipayplus/v1/authorizations/applyToken';
export const CANCEL_TOKEN = '/alipayplus/v1/authorizations/cancelToken';
export const INQUIRY_USER_INFO = '/alipayplus/v1/users/inquiryUserInfo';

interface Ctx {
  readonly app: FastifyInstance;
  readonly clock: Clock;
}

/** Signs with Request-Time taken from the app's clock, so a FakeClock far from now still passes the envelope. */
export function post(t: Ctx, path: string, body: unknown) {
  return signedPost(t.app, path, body, { requestTime: isoWithOffset(t.clock.now()) });
}

/** `POST /app/v1/authCodes` as the customer's app; throws unless it succeeds. */
export async function authCodeFor(t: Ctx, customerId: string, scopes?: string[]): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/app/v1/authCodes',
    headers: { authorization: `Bearer ${await appJwt(customerId, { now: t.clock.now() })}` },
    payload: scopes ? { scopes } : {},
  });
  if (res.statusCode !== 200) throw new Error(`no auth code: ${res.statusCode} ${res.body}`);
  return res.json().authCode as string;
}

export function applyWithCode(t: Ctx, authCode: string, extra: Record<string, unknown> = {}) {
  return post(t, APPLY_TOKEN, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, grantType: 'AUTHORIZATION_CODE', authCode, ...extra });
}

export function applyWithRefresh(t: Ctx, refreshToken: string, extra: Record<string, unknown> = {}) {
  return post(t, APPLY_TOKEN, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, grantType: 'REFRESH_TOKEN', refreshToken, ...extra });
}

export function cancelToken(t: Ctx, accessToken: string) {
  return post(t, CANCEL_TOKEN, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, accessToken });
}

export function inquiryUserInfo(t: Ctx, accessToken: string) {
  return post(t, INQUIRY_USER_INFO, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, accessToken });
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  customerId: string;
  accessTokenExpiryTime: string;
  refreshTokenExpiryTime: string;
}

/** A fresh auth code for the customer (of `scopes`, else the default) exchanged for tokens; throws unless S. */
export async function tokensFor(t: Ctx, customerId: string, scopes?: string[]): Promise<Tokens> {
  const res = await applyWithCode(t, await authCodeFor(t, customerId, scopes));
  const body = res.json();
  if (body.result?.resultStatus !== 'S') throw new Error(`applyToken failed: ${res.body}`);
  return body as Tokens;
}

/** A fresh access token of scope AGREEMENT_PAY for the customer (§10: an Auto Debit pay names it as its paymentMethodId). */
export async function agreementTokenFor(t: Ctx, customerId: string): Promise<string> {
  return (await tokensFor(t, customerId, ['AGREEMENT_PAY'])).accessToken;
}

export function resultOf(res: { json(): unknown }) {
  return (res.json() as { result: { resultCode: string; resultStatus: string; resultMessage: string } }).result;
}
