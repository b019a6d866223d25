import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAlipayPlusClient } from '../../src/alipayplus/client.ts';
import { alipayPlusCodeRules, INQUIRY_CODE_RULES_PATH, JAR_VERSION } from '../../src/adapters/code-rules-source.ts';
import { CodeRulesUnavailable } from '../../src/domain/codes/rule-book.ts';
import { CODE_RULES_REFRESHER } from '../../src/jobs/code-identification.ts';
import { codeRuleSetStore } from '../../src/persistence/code-rule-sets-repository.ts';
import { startFakeAlipayPlus, type FakeAlipayPlus } from '../support/fake-code-rules-server.ts';
import { loadPrivateKey } from '../../src/alipayplus/signature.ts';
import { appJwt, FakeClock, TEST_CLIENT_ID, type TestApp, testApp, type TestAppOptions, testDatabase, type TestDatabase, testKeys } from '../support/harness.ts';
import { identifyCode } from '../support/codes.ts';
import { extendInfo, openUrl, prefixRule } from '../unit/codes/fixtures.ts';

/**
 * §6 code rules from a real (local) Alipay+ stand-in: signed both ways over HTTP, stored for the
 * next start, refreshed on the job's clock; every refused answer falls back.
 */

const SUCCESS = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
const ENTRY_CODE = 'https://g.alipayplus.com/page/entry?bizId=1&x=a b';

/** A remote set: an order-code prefix only this version knows, and an entry code with a built URL. */
function remoteAnswer(version: string) {
  return {
    result: SUCCESS,
    version,
    codeRules: [
      prefixRule(`https://qr.alipayplus.com/${version}/`, { priority: 100, matchResult: { routerType: 'AC_CODE', version, trust: 'Y' } }),
      {
        ...prefixRule('https://g.alipayplus.com/page/', {
          action: openUrl({
            urlConstructionMethod: 'CONSTRUCT_DYNAMIC_URL',
            dynamicUrlExpression: 'https://render.alipayplus.com/entry?code=${codeValue}&issuer=${issuer}',
            userAgent: 'AlipayConnect/2',
          }),
        }),
        extendInfo: extendInfo({ routerType: 'ENTRY_CODE' }),
      },
    ],
  };
}

let fake: FakeAlipayPlus;
let db: TestDatabase;
const apps: TestApp[] = [];
let bearer: string;

async function appOnFake(o: { clock?: FakeClock; extra?: TestAppOptions['extra'] } = {}) {
  const t = await testApp({ database: db, env: { ALIPAYPLUS_BASE_URL: fake.baseUrl }, ...(o.clock && { clock: o.clock }), ...(o.extra && { extra: o.extra }) });
  apps.push(t);
  return t;
}

const identify = (t: TestApp, codeValue: string) => identifyCode(t, bearer, codeValue);

const decodes = async (t: TestApp, version: string) => (await identify(t, `https://qr.alipayplus.com/${version}/0001`)).isAcCode;

beforeAll(async () => {
  bearer = `Bearer ${await appJwt('C-rules-1')}`;
  fake = await startFakeAlipayPlus(remoteAnswer('r1'));
  db = await testDatabase();
});
afterAll(async () => {
  for (const t of apps) await t.close();
  await db?.close();
  await fake?.close();
});
beforeEach(async () => {
  fake.mode = 'OK';
  fake.answer = remoteAnswer('r1');
  fake.requests.length = 0;
  await db.db.deleteFrom('code_rule_sets').execute();
});

describe('code rules from Alipay+ inquiryCodeRules (§6)', () => {
  it('loads the signed answer at start, identifies with it, and stores it', async () => {
    const t = await appOnFake();
    expect(fake.requests).toHaveLength(1);
    // §6 revision 2: the body the official SDK sends
    expect(fake.requests[0]).toEqual({ path: INQUIRY_CODE_RULES_PATH, body: `{"jarVersion":"${JAR_VERSION}"}`, signatureValid: true, clientId: TEST_CLIENT_ID });

    expect(await identify(t, 'https://qr.alipayplus.com/r1/0001')).toMatchObject({
      source: 'ALIPAYPLUS',
      isAcCode: true,
      postCodeMatchActionType: 'DECODE',
      acDecodeConfig: '{"routerType":"AC_CODE","version":"r1"}',
    });
    expect(await identify(t, ENTRY_CODE)).toMatchObject({
      isAcCode: true,
      postCodeMatchActionType: 'OPEN_URL',
      redirectUrl: `https://render.alipayplus.com/entry?code=${encodeURIComponent(ENTRY_CODE)}&issuer=${TEST_CLIENT_ID}`,
      userAgent: 'AlipayConnect/2',
    });
    expect(await codeRuleSetStore(db.db).latest()).toMatchObject({ version: 'r1', body: remoteAnswer('r1') });
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json().checks.codeRules).toBe('ok');
  });

  it.each([
    ['a badly signed answer', 'BAD_SIGNATURE'],
    ['an unsigned answer', 'UNSIGNED'],
    ['an HTTP 500', 'HTTP_500'],
  ] as const)('refuses %s and starts from the stored copy', async (_name, mode) => {
    await codeRuleSetStore(db.db).save({ version: 'r0', body: remoteAnswer('r0'), fetchedAt: new Date() });
    fake.mode = mode;
    fake.answer = remoteAnswer('r9');
    const t = await appOnFake();
    expect(fake.requests).toHaveLength(1);
    expect(await decodes(t, 'r0')).toBe(true);
    expect(await decodes(t, 'r9')).toBe(false);
  });

  it('takes an unsigned answer over http with CODE_RULES_ACCEPT_UNSIGNED=true, and counts it in /metrics', async () => {
    fake.mode = 'UNSIGNED';
    fake.answer = remoteAnswer('r7');
    const t = await testApp({ database: db, env: { ALIPAYPLUS_BASE_URL: fake.baseUrl, CODE_RULES_ACCEPT_UNSIGNED: 'true' } });
    apps.push(t);
    expect(await decodes(t, 'r7')).toBe(true);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^mpp_code_rules_unsigned_answers_total 1$/m);
    // a signature that is present must still verify, flag or not
    fake.mode = 'BAD_SIGNATURE';
    fake.answer = remoteAnswer('r8');
    const refresher = t.jobs.find((j) => j.name === CODE_RULES_REFRESHER)!;
    await expect(refresher.runOnce(new Date(Date.now() + 31 * 60_000))).rejects.toThrow(/signature does not verify/);
    expect(await decodes(t, 'r7')).toBe(true);
  });

  it('starts from the preset when the remote fails and nothing is stored', async () => {
    fake.mode = 'BAD_SIGNATURE';
    const t = await appOnFake();
    expect(await decodes(t, 'r1')).toBe(false);
    expect(await identify(t, 'https://qr.alipayplus.com/281666130001')).toMatchObject({ isAcCode: true, acDecodeConfig: '{"routerType":"AC_CODE"}' });
  });

  it('refuses to start, naming every reason, when no rule set loads', async () => {
    fake.mode = 'HTTP_500';
    const failure = await appOnFake({ extra: { presetCodeRules: async () => ({ result: SUCCESS, codeRules: [] }) } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CodeRulesUnavailable);
    expect((failure as Error).message).toMatch(/start-up blocked.*remote: inquiryCodeRules answered HTTP 500.*stored: none stored.*preset: invalid code rules answer/);
  });

  it('refreshes on the job clock: nothing before 30 minutes, a new version applied at 30, a retry 2 minutes after a failure', async () => {
    const clock = new FakeClock(new Date('2025-03-01T00:00:00Z'));
    const t = await appOnFake({ clock });
    const refresher = t.jobs.find((j) => j.name === CODE_RULES_REFRESHER)!;

    fake.answer = remoteAnswer('r2');
    clock.advance(29 * 60_000);
    expect(await refresher.runOnce(clock.now())).toBe(0);
    expect(fake.requests).toHaveLength(1);
    expect(await decodes(t, 'r2')).toBe(false);

    clock.advance(60_000);
    expect(await refresher.runOnce(clock.now())).toBe(1);
    expect(await decodes(t, 'r2')).toBe(true);
    expect(await decodes(t, 'r1')).toBe(false);
    expect((await codeRuleSetStore(db.db).latest())?.version).toBe('r2');

    fake.mode = 'BAD_SIGNATURE';
    fake.answer = remoteAnswer('r3');
    clock.advance(30 * 60_000);
    await expect(refresher.runOnce(clock.now())).rejects.toThrow(/keeping version r2: .*signature does not verify/);
    expect(await decodes(t, 'r2')).toBe(true);
    clock.advance(60_000);
    expect(await refresher.runOnce(clock.now())).toBe(0);
    fake.mode = 'OK';
    clock.advance(60_000);
    expect(await refresher.runOnce(clock.now())).toBe(1);
    expect(await decodes(t, 'r3')).toBe(true);
    expect(fake.requests.every((r) => r.signatureValid)).toBe(true);
  });
});

describe('the inquiryCodeRules adapter', () => {
  const adapter = (timeoutMs?: number) =>
    alipayPlusCodeRules(
      createAlipayPlusClient({
        baseUrl: fake.baseUrl,
        clientId: TEST_CLIENT_ID,
        mppPrivateKey: loadPrivateKey(testKeys.mppPrivatePem),
        mppKeyVersion: '1',
        alipayPlusPublicKeys: new Map([['1', testKeys.aplusPublic]]),
        now: () => new Date(),
        ...(timeoutMs !== undefined && { timeoutMs }),
      }),
    );

  it('returns the verified answer body', async () => {
    expect(await adapter().fetch()).toEqual(remoteAnswer('r1'));
  });

  it('gives up on a silent Alipay+ after its timeout', async () => {
    fake.mode = 'HANG';
    await expect(adapter(200).fetch()).rejects.toThrow(/inquiryCodeRules call failed/);
  });

  it('refuses an answer signed with another key', async () => {
    fake.mode = 'BAD_SIGNATURE';
    await expect(adapter().fetch()).rejects.toThrow('signature does not verify');
  });
});

describe('inquiryCodeRules over https (§6 revision 2: as the official SDK, an unsigned answer is taken)', () => {
  /** A client to https://aplus.test whose fetch answers `answer`, signed or not. */
  function httpsAdapter(answer: () => { body: unknown; signed: boolean }, log: { warn: (o: object, m: string) => void }, onUnsigned: () => void) {
    const seen: string[] = [];
    const fetchStub = (async (url: URL | string, init: RequestInit) => {
      seen.push(`${String(url)} ${String(init.body)}`);
      const a = answer();
      const body = JSON.stringify(a.body);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'client-id': TEST_CLIENT_ID, 'response-time': new Date().toISOString() };
      if (a.signed) headers.signature = 'algorithm=RSA256,keyVersion=1,signature=bm90LWEtc2lnbmF0dXJl';
      return new Response(body, { status: 200, headers });
    }) as unknown as typeof fetch;
    const client = createAlipayPlusClient({
      baseUrl: 'https://aplus.test',
      clientId: TEST_CLIENT_ID,
      mppPrivateKey: loadPrivateKey(testKeys.mppPrivatePem),
      mppKeyVersion: '1',
      alipayPlusPublicKeys: new Map([['1', testKeys.aplusPublic]]),
      now: () => new Date(),
      fetch: fetchStub,
    });
    return { source: alipayPlusCodeRules(client, { onUnsigned, log }), seen };
  }

  it('takes an unsigned answer, counts every one and logs once per version; a bad signature is still refused', async () => {
    let answer = { body: remoteAnswer('h1') as unknown, signed: false };
    const warnings: object[] = [];
    let counted = 0;
    const { source, seen } = httpsAdapter(
      () => answer,
      { warn: (o) => warnings.push(o) },
      () => counted++,
    );
    expect(await source.fetch()).toEqual(remoteAnswer('h1'));
    expect(await source.fetch()).toEqual(remoteAnswer('h1'));
    answer = { body: remoteAnswer('h2'), signed: false };
    expect(await source.fetch()).toEqual(remoteAnswer('h2'));
    expect(counted).toBe(3);
    expect(warnings).toEqual([{ version: 'h1' }, { version: 'h2' }]);
    expect(seen[0]).toBe(`https://aplus.test${INQUIRY_CODE_RULES_PATH} {"jarVersion":"${JAR_VERSION}"}`);
    answer = { body: remoteAnswer('h3'), signed: true }; // a signature that does not verify
    await expect(source.fetch()).rejects.toThrow('signature does not verify');
    expect(counted).toBe(3);
  });
});
