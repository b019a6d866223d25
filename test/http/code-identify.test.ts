import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appJwt, opsHeaders, type TestApp, testApp } from '../support/harness.ts';
import { merchantQr } from '../unit/codes/fixtures.ts';

const IDENTIFY = '/app/v1/codes/identify';
const ORDER_CODE = 'https://qr.alipayplus.com/281666130000000012345';
const ENTRY_CODE = 'https://g.alipayplus.com/page/entry?bizId=123';

let allowMode: TestApp;
let blockMode: TestApp;
let bearer: string;

async function identify(t: TestApp, codeValue: unknown, headers: Record<string, string> = { authorization: bearer }) {
  return t.app.inject({ method: 'POST', url: IDENTIFY, headers, payload: { codeValue } });
}

async function addEntry(t: TestApp, kind: string, patternType: string, pattern: string) {
  const res = await t.app.inject({ method: 'POST', url: `/ops/v1/codeLists/${kind}/entries`, headers: opsHeaders(), payload: { patternType, pattern } });
  if (res.statusCode !== 201) throw new Error(`entry not added: ${res.statusCode} ${res.body}`);
}

beforeAll(async () => {
  bearer = `Bearer ${await appJwt('C-identify-1')}`;
  // No ALIPAYPLUS_BASE_URL: the shipped preset rules are in force.
  allowMode = await testApp();
  await addEntry(allowMode, 'local', 'PREFIX', 'https://pay.mywallet.com/');
  await addEntry(allowMode, 'allowlist', 'REGEX', 'PARTNER-[0-9]{8}');
  await addEntry(allowMode, 'blocklist', 'PREFIX', 'https://qr.alipayplus.com/2816661399');
  // A second instance on the same database, in the other mode: it loads the same lists at start.
  blockMode = await testApp({ env: { CODE_IDENTIFICATION_MODE: 'BLOCKLIST' }, database: allowMode.database, kv: allowMode.kv });
});
afterAll(async () => {
  await blockMode?.close();
  await allowMode?.close();
});

describe('POST /app/v1/codes/identify (§6, seed step 3)', () => {
  it('refuses a request without an app JWT', async () => {
    const res = await identify(allowMode, ORDER_CODE, {});
    expect(res.statusCode).toBe(401);
    expect(res.json().result).toMatchObject({ resultStatus: 'F', resultCode: 'ACCESS_DENIED' });
  });

  it('refuses an expired app JWT', async () => {
    const res = await identify(allowMode, ORDER_CODE, { authorization: `Bearer ${await appJwt('C1', { expiresInSeconds: -10 })}` });
    expect(res.statusCode).toBe(401);
  });

  it('decodes an Alipay+ order-code URL with its acDecodeConfig', async () => {
    const res = await identify(allowMode, ORDER_CODE);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' },
      source: 'ALIPAYPLUS',
      isAcCode: true,
      postCodeMatchActionType: 'DECODE',
      acDecodeConfig: '{"routerType":"AC_CODE"}', // trust and nonSdkJarSupportVersion left out
    });
  });

  it('opens an Alipay+ entry-code URL with the redirect URL and user agent', async () => {
    const res = await identify(allowMode, ENTRY_CODE);
    expect(res.json()).toMatchObject({
      result: { resultStatus: 'S' },
      source: 'ALIPAYPLUS',
      isAcCode: true,
      postCodeMatchActionType: 'OPEN_URL',
      redirectUrl: ENTRY_CODE, // the preset rule is USE_DIRECTLY; built URLs: code-rules-remote.test.ts
      userAgent: 'AlipayConnect',
    });
  });

  it('decodes an EMVCo QR whose merchant template names com.alipayplus', async () => {
    const code = merchantQr([
      [
        '26',
        [
          ['00', 'com.alipayplus'],
          ['01', '2188120000123456'],
        ],
      ],
    ]);
    expect((await identify(allowMode, code)).json()).toMatchObject({ source: 'ALIPAYPLUS', isAcCode: true, postCodeMatchActionType: 'DECODE' });
  });

  it('does not match the same EMVCo QR with a bad CRC', async () => {
    const code = merchantQr([['26', [['00', 'com.alipayplus']]]]);
    const badCrc = code.slice(0, -4) + (code.endsWith('0000') ? '0001' : '0000');
    expect((await identify(allowMode, badCrc)).json()).toEqual({
      result: expect.objectContaining({ resultStatus: 'S' }),
      source: 'UNKNOWN',
      isAcCode: false,
    });
  });

  it('answers isAcCode false for an unknown code', async () => {
    const res = await identify(allowMode, 'https://unknown.example/pay/123');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ result: expect.objectContaining({ resultStatus: 'S' }), source: 'UNKNOWN', isAcCode: false });
  });

  it('takes a local code as ours', async () => {
    expect((await identify(allowMode, 'HTTPS://PAY.MYWALLET.COM/o/42')).json()).toMatchObject({ source: 'LOCAL', isAcCode: false });
  });

  it('takes an allowlisted code as ours in allowlist mode', async () => {
    expect((await identify(allowMode, 'PARTNER-12345678')).json()).toMatchObject({ source: 'ALLOWLIST', isAcCode: false });
  });

  it('ignores the blocklist in allowlist mode', async () => {
    expect((await identify(allowMode, 'https://qr.alipayplus.com/28166613990001')).json()).toMatchObject({ source: 'ALIPAYPLUS', isAcCode: true });
  });

  it('refuses a blocklisted code in blocklist mode: S, source BLOCKLIST, isAcCode false', async () => {
    const res = await identify(blockMode, 'https://qr.alipayplus.com/28166613990001');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ result: expect.objectContaining({ resultStatus: 'S' }), source: 'BLOCKLIST', isAcCode: false });
  });

  it('ignores the allowlist in blocklist mode, keeping local codes and Alipay+ rules', async () => {
    expect((await identify(blockMode, 'PARTNER-12345678')).json()).toMatchObject({ source: 'UNKNOWN', isAcCode: false });
    expect((await identify(blockMode, 'https://pay.mywallet.com/o/1')).json()).toMatchObject({ source: 'LOCAL' });
    expect((await identify(blockMode, ORDER_CODE)).json()).toMatchObject({ source: 'ALIPAYPLUS', isAcCode: true });
  });

  it.each([
    ['a blank code', '   ', 'must not be blank'],
    ['an empty code', '', 'must not be blank'],
    ['a code over 8192 characters', 'x'.repeat(8193), 'longer than 8192'],
    ['a missing code', undefined, 'codeValue'],
    ['a code that is not a string', 42, 'codeValue'],
  ])('answers 400 F PARAM_ILLEGAL for %s', async (_name, codeValue, reason) => {
    const res = await identify(allowMode, codeValue);
    expect(res.statusCode).toBe(400);
    expect(res.json().result).toMatchObject({ resultStatus: 'F', resultCode: 'PARAM_ILLEGAL' });
    expect(res.json().result.resultMessage).toContain(reason);
  });

  it('identifies a code of exactly 8192 characters', async () => {
    const res = await identify(allowMode, `https://qr.alipayplus.com/28166613${'0'.repeat(8192 - 34)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ isAcCode: true });
  });
});
