/**
 * Issue 9 point 3: logs never hold a token, key or full code value. The whole §3 flow runs with
 * pino at its most talkative level writing into memory: auth codes issued, exchanged, refreshed,
 * used for inquiryUserInfo and cancelled, plus the refusals (a used code, unknown tokens, hostile
 * bodies that echo nothing). Then the log text is searched for every secret value, in any case.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/http/server-options.ts';
import {
  appJwt,
  createCustomer,
  opsHeaders,
  signedPost,
  TEST_ACQUIRER_ID,
  TEST_APP_JWT_SECRET,
  TEST_OPS_TOKEN,
  TEST_PSP_ID,
  type TestApp,
  testApp,
  testConfig,
  testKeys,
} from '../support/harness.ts';
import { APPLY_TOKEN, applyWithCode, applyWithRefresh, authCodeFor, CANCEL_TOKEN, cancelToken, INQUIRY_USER_INFO, inquiryUserInfo } from '../support/tokens.ts';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(String(chunk));
    done();
  },
});

let t: TestApp;
beforeAll(async () => {
  const config = testConfig({ LOG_LEVEL: 'trace' });
  t = await testApp({ env: { LOG_LEVEL: 'trace' }, extra: { logger: { ...loggerOptions(config), stream: sink } } });
  await createCustomer(t.app, 'log-1', 'KRW');
});
afterAll(async () => t.close());

describe('logs', () => {
  it('never contain an auth code, access or refresh token, JWT, ops token, key or signature, through the whole §3 flow and its refusals', async () => {
    lines.length = 0;
    const jwt = await appJwt('log-1');
    const code = await authCodeFor(t, 'log-1');
    const unusedCode = await authCodeFor(t, 'log-1');
    const issued = (await applyWithCode(t, code)).json();
    expect(issued.result.resultStatus).toBe('S');
    const replay = (await applyWithCode(t, code)).json(); // F USED_CODE
    expect(replay.result.resultCode).toBe('USED_CODE');
    const refreshed = (await applyWithRefresh(t, issued.refreshToken)).json();
    expect((await inquiryUserInfo(t, refreshed.accessToken)).json().result.resultStatus).toBe('S');
    expect((await cancelToken(t, issued.accessToken)).json().result.resultStatus).toBe('S');
    // refusals that carry the secret in the body: a revoked token, an unknown one, a too-long one
    await inquiryUserInfo(t, refreshed.accessToken);
    await applyWithRefresh(t, issued.refreshToken);
    await cancelToken(t, `${refreshed.accessToken}${refreshed.accessToken}${refreshed.accessToken}`);
    // hostile bodies holding a secret: malformed JSON, a wrong type next to it, NUL inside it
    await signedPost(t.app, APPLY_TOKEN, `{"pspId":"${TEST_PSP_ID}","authCode":"${unusedCode}"`);
    await signedPost(t.app, INQUIRY_USER_INFO, { pspId: TEST_PSP_ID, acquirerId: 7, accessToken: issued.refreshToken });
    await signedPost(t.app, CANCEL_TOKEN, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, accessToken: `${unusedCode}\u0000` });
    // app and ops calls with their bearer secrets, good and bad
    await t.app.inject({ method: 'POST', url: '/app/v1/authCodes', headers: { authorization: `Bearer ${jwt}` }, payload: { scopes: [unusedCode] } });
    await t.app.inject({ method: 'GET', url: '/ops/v1/customers/log-1', headers: opsHeaders() });
    await t.app.inject({ method: 'GET', url: '/ops/v1/customers/log-1', headers: { authorization: `Bearer ${TEST_OPS_TOKEN}x` } });

    const text = lines.join('').toLowerCase();
    expect(lines.length).toBeGreaterThan(20); // the capture works: requests and refusals were logged
    expect(text).toContain('auth code issued');
    const secrets: Record<string, string> = {
      authCode: code,
      unusedAuthCode: unusedCode,
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      refreshedAccessToken: refreshed.accessToken,
      appJwt: jwt,
      appJwtSignature: jwt.split('.')[2]!,
      appJwtSecret: TEST_APP_JWT_SECRET,
      opsToken: TEST_OPS_TOKEN,
      mppPrivateKey: testKeys.mppPrivatePem.split('\n')[1]!,
    };
    for (const [name, value] of Object.entries(secrets)) expect(text.includes(value.toLowerCase()), `${name} appears in the log`).toBe(false);
    // no signature value (ours or Alipay+'s) either
    expect(text).not.toMatch(/signature=[a-z0-9%]{20,}/);
  });
});
