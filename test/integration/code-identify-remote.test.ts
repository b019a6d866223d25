/**
 * Alipay+ remote identification (code-identification-sdk.md fact 12) end to end: the service asks
 * the simulator's `GET .../identify/code.htm` (ALIPAYPLUS_IDENTIFY_URL) for codes whose winning
 * rule is untrusted, with the SDK's query; a failed call is "not an Alipay+ code", never the next
 * rule's answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteCodeIdentification, remoteIdentifyQuery } from '../../src/adapters/remote-code-identification.ts';
import { REMOTE_IDENTIFY_PATH } from '../../src/config.ts';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.ts';
import { appJwt, TEST_CLIENT_ID, type TestApp, testApp, testKeys } from '../support/harness.ts';
import { identifyCode } from '../support/codes.ts';
import { openUrl, prefixRule } from '../unit/codes/fixtures.ts';

const simulatorKeys = { privateKey: testKeys.aplusPrivate, mppPublicKey: testKeys.mppPublic, keyVersion: '1' };
const SUCCESS = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
const silent = { info: () => {}, warn: () => {} };

const rules = {
  version: 'remote-1',
  codeRules: [
    prefixRule('https://untrusted.example/', {
      priority: 1,
      action: openUrl({ urlConstructionMethod: 'USE_DIRECTLY' }),
      matchResult: { routerType: 'ENTRY', trust: 'N' },
    }),
    // Would match the same codes: must never answer in place of a failed remote call.
    prefixRule('https://untrusted.example/', { priority: 2, matchResult: { routerType: 'FALLBACK' } }),
  ],
};

let sim: RunningSimulator;
let bearer: string;
const apps: TestApp[] = [];

async function appWith(identifyUrl: string) {
  const t = await testApp({ env: { ALIPAYPLUS_IDENTIFY_URL: identifyUrl }, extra: { presetCodeRules: async () => ({ result: SUCCESS, ...rules }) } });
  apps.push(t);
  return t;
}

const identify = (t: TestApp, codeValue: string) => identifyCode(t, bearer, codeValue);

beforeAll(async () => {
  bearer = `Bearer ${await appJwt('C-remote-1')}`;
  sim = await startSimulator({ keys: simulatorKeys, clientId: TEST_CLIENT_ID, codeRules: rules });
});
afterAll(async () => {
  for (const t of apps) await t.close();
  await sim?.close();
});

describe('remote identification of untrusted rules (fact 12)', () => {
  it('writes the query as the SDK does: keys sorted, Java URL encoding with %20', () => {
    expect(remoteIdentifyQuery('CLIENT 1', "a b'(c)")).toBe('clientId=CLIENT%201&codeValue=a%20b%27%28c%29&jarVersion=1.2.1.20240506');
  });

  it('asks the simulator and answers with its action and URL', async () => {
    const t = await appWith(`${sim.url}${REMOTE_IDENTIFY_PATH}`);
    expect(await identify(t, 'https://untrusted.example/pay?x=1')).toMatchObject({
      source: 'ALIPAYPLUS',
      isAcCode: true,
      postCodeMatchActionType: 'OPEN_URL',
      redirectUrl: 'https://untrusted.example/pay?x=1',
      acDecodeConfig: '{"routerType":"ENTRY"}',
    });
  });

  it('answers not an Alipay+ code when the call fails, without falling back to the next rule', async () => {
    const t = await appWith('http://127.0.0.1:9/identify');
    expect(await identify(t, 'https://untrusted.example/pay?x=1')).toEqual({
      result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' },
      source: 'UNKNOWN',
      isAcCode: false,
    });
  });

  it('reads a non-SUCCESS answer, an HTTP error or a timeout as a failure', async () => {
    const answers: [number, unknown, number][] = [
      [200, { result: { resultCode: 'PARAM_ILLEGAL' }, isSupported: true }, 0],
      [500, { result: { resultCode: 'SUCCESS' }, isSupported: true }, 0],
      [200, { result: { resultCode: 'SUCCESS' }, isSupported: true }, 50],
    ];
    for (const [status, body, delayMs] of answers) {
      const fakeFetch = (async (_url: string, init?: RequestInit) => {
        if (delayMs) await new Promise((_r, j) => init?.signal?.addEventListener('abort', () => j(new Error('timed out'))));
        return new Response(JSON.stringify(body), { status });
      }) as typeof fetch;
      const remote = remoteCodeIdentification({ url: 'http://x/identify', clientId: 'C', log: silent, fetch: fakeFetch, timeoutMs: 20 });
      expect(await remote.identify('code')).toBeUndefined();
    }
    const good = remoteCodeIdentification({
      url: 'http://x/identify',
      clientId: 'C',
      log: silent,
      fetch: (async () => new Response(JSON.stringify({ result: { resultCode: 'SUCCESS' }, isSupported: true, postCodeMatchActionType: 'DECODE' }))) as typeof fetch,
    });
    expect(await good.identify('code')).toEqual({ isSupported: true, postCodeMatchActionType: 'DECODE' });
  });
});
