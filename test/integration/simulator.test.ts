import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { loadPrivateKey, parseSignatureHeader, sign, signatureHeader, verify } from '../../src/alipayplus/signature.ts';
import { fetchTransport, injectTransport, SimulatorClient } from '../../src/simulator/client.ts';
import { verifyAppToken } from '../../src/http/app/auth.ts';
import { appToken, createCustomer } from '../../src/simulator/wallet-app.ts';
import { presetCodeRules, type RunningSimulator, startSimulator } from '../../src/simulator/server.ts';
import { TEST_ACQUIRER_ID, TEST_CLIENT_ID, TEST_OPS_TOKEN, TEST_PSP_ID, type TestApp, testApp, testKeys } from '../support/harness.ts';
import { expectWebhookRequestMatchesOpenApi, expectWebhookResponseMatchesOpenApi } from '../support/openapi.ts';

const NOTIFY = '/aps/api/v1/payments/notifyPayment';
const RULES = '/aps/api/v1/codes/inquiryCodeRules';
const mppPrivate = loadPrivateKey(testKeys.mppPrivatePem);
const simulatorKeys = { privateKey: testKeys.aplusPrivate, mppPublicKey: testKeys.mppPublic, keyVersion: '1' };

const notification = {
  paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' },
  paymentRequestId: '2018112919074101000700000070000',
  paymentId: '2018112919074101000700000000001',
  paymentTime: '2020-01-01T12:01:01+08:00',
  paymentAmount: { currency: 'JPY', value: '100' },
  payToAmount: { currency: 'KRW', value: '1000' },
  customerId: '2160000000000001',
};

interface Answer {
  status: number;
  body: Record<string, unknown> & { result?: { resultCode: string; resultStatus: string } };
  raw: Buffer;
  headers: Record<string, string>;
  /** Whether the answer verifies with the Alipay+ public key. */
  signatureValid: boolean;
}

/** POSTs as the MPP would (signed with the MPP test key, or `key`), and verifies the answer as the MPP would. */
async function mppCalls(sim: RunningSimulator, path: string, body: unknown, o: { key?: KeyObject; clientId?: string } = {}): Promise<Answer> {
  const raw = JSON.stringify(body);
  const clientId = o.clientId ?? TEST_CLIENT_ID;
  const requestTime = isoWithOffset(new Date());
  const value = await sign({ method: 'POST', uri: path, clientId, time: requestTime, body: raw }, o.key ?? mppPrivate);
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8', 'client-id': clientId, 'request-time': requestTime, signature: signatureHeader('1', value) },
    body: raw,
  });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  const answer = Buffer.from(await res.arrayBuffer());
  const parsed = parseSignatureHeader(headers.signature);
  const signatureValid =
    parsed !== undefined &&
    (await verify(
      { method: 'POST', uri: path, clientId: headers['client-id'] ?? '', time: headers['response-time'] ?? '', body: answer },
      parsed.signature,
      testKeys.aplusPublic,
    ));
  let parsedBody: Answer['body'] = {};
  try {
    parsedBody = JSON.parse(answer.toString('utf8'));
  } catch {
    // not JSON (a simulated HTTP 500 is JSON too, but say nothing about it here)
  }
  return { status: res.status, body: parsedBody, raw: answer, headers, signatureValid };
}

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ keys: simulatorKeys, clientId: TEST_CLIENT_ID });
});
afterAll(async () => sim.close());
beforeEach(() => {
  sim.switches.reset();
  sim.notifications.clear();
});

describe('the Alipay+ simulator server', () => {
  it('serves the preset code rules to a request signed with the MPP key, answering signed with the Alipay+ key', async () => {
    const res = await mppCalls(sim, RULES, {});
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
    expect(res.body.version).toBe('preset-1');
    expect(res.body.codeRules).toHaveLength(6);
    expect(res.signatureValid).toBe(true);
    expectWebhookResponseMatchesOpenApi('inquiryCodeRules', { statusCode: res.status, headers: res.headers, body: res.raw.toString('utf8') });
  });

  it('serves a rule set changed in-process, with its new version', async () => {
    sim.setCodeRules({ version: 'v2', codeRules: [] });
    try {
      const res = await mppCalls(sim, RULES, {});
      expect(res.body).toMatchObject({ version: 'v2', codeRules: [] });
    } finally {
      sim.setCodeRules(presetCodeRules());
    }
  });

  it('refuses a request signed with another key: signed F INVALID_SIGNATURE, recorded as such', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await mppCalls(sim, NOTIFY, notification, { key: privateKey });
    expect(res.body.result).toMatchObject({ resultCode: 'INVALID_SIGNATURE', resultStatus: 'F' });
    expect(res.signatureValid).toBe(true);
    expect(sim.notifications.list()).toMatchObject([{ signatureValid: false, answer: { resultCode: 'INVALID_SIGNATURE' } }]);
  });

  it('refuses another Client-Id with F INVALID_CLIENT', async () => {
    const res = await mppCalls(sim, NOTIFY, notification, { clientId: 'SOMEONE_ELSE' });
    expect(res.body.result).toMatchObject({ resultCode: 'INVALID_CLIENT', resultStatus: 'F' });
  });

  it('records a valid notifyPayment and answers S SUCCESS, signed; the record is queryable over HTTP', async () => {
    expectWebhookRequestMatchesOpenApi('notifyPayment', notification);
    const res = await mppCalls(sim, NOTIFY, notification);
    expect(res.body).toEqual({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
    expect(res.signatureValid).toBe(true);
    expectWebhookResponseMatchesOpenApi('notifyPayment', { statusCode: res.status, headers: res.headers, body: res.raw.toString('utf8') });

    const received = await sim.notifications.waitFor((n) => (n.body as { paymentId?: string }).paymentId === notification.paymentId);
    expect(received).toMatchObject({ signatureValid: true, problems: [], body: notification, answer: { httpStatus: 200, resultStatus: 'S' } });
    const listed = (await (await fetch(`${sim.url}/simulator/notifications`)).json()) as { notifications: unknown[] };
    expect(listed.notifications).toHaveLength(1);
  });

  it('answers a notification that breaks the contract with F PARAM_ILLEGAL naming the field', async () => {
    const { customerId: _c, ...noCustomer } = notification;
    const res = await mppCalls(sim, NOTIFY, {
      ...noCustomer,
      paymentResult: { ...notification.paymentResult, resultStatus: 'U' },
      payToAmount: { currency: 'KRW', value: 1000 },
    });
    expect(res.body.result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(sim.notifications.list()[0]!.problems).toEqual(
      expect.arrayContaining([
        'payToAmount.value is a number, not a string',
        'paymentResult.resultStatus must be S or F (never U: only final states are notified)',
        'customerId is missing',
      ]),
    );
  });

  it('fails the next N answers as switched (U), then answers S again', async () => {
    sim.switches.failNext('notifyPayment', 2, 'U');
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await mppCalls(sim, NOTIFY, notification)).body.result?.resultStatus);
    expect(codes).toEqual(['U', 'U', 'S']);
    expect(sim.notifications.list().map((n) => n.answer.forced)).toEqual(['U', 'U', undefined]);
  });

  it('spends a switched failure only on a request that would otherwise succeed', async () => {
    sim.switches.failNext('notifyPayment', 1, 'U');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await mppCalls(sim, NOTIFY, notification, { key: privateKey })).body.result?.resultCode).toBe('INVALID_SIGNATURE');
    expect((await mppCalls(sim, NOTIFY, notification)).body.result?.resultStatus).toBe('U');
    expect((await mppCalls(sim, NOTIFY, notification)).body.result?.resultStatus).toBe('S');
  });

  it('fails with F, with HTTP 500, or with a signature that does not verify, as switched over HTTP', async () => {
    const set = (body: object) => fetch(`${sim.url}/simulator/switches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await set({ endpoint: 'notifyPayment', failNext: 1, failMode: 'F' })).status).toBe(200);
    expect((await mppCalls(sim, NOTIFY, notification)).body.result).toMatchObject({ resultStatus: 'F', resultCode: 'PROCESS_FAIL' });

    await set({ endpoint: 'notifyPayment', failNext: 1, failMode: 'HTTP_500' });
    expect((await mppCalls(sim, NOTIFY, notification)).status).toBe(500);

    await set({ endpoint: 'inquiryCodeRules', failNext: 1, failMode: 'BAD_SIGNATURE' });
    const bad = await mppCalls(sim, RULES, {});
    expect(bad.body.result).toMatchObject({ resultStatus: 'S' });
    expect(bad.signatureValid).toBe(false);
    expect((await mppCalls(sim, RULES, {})).signatureValid).toBe(true);

    expect((await set({ endpoint: 'nope', failNext: 1 })).status).toBe(400);
    expect((await set({ endpoint: 'notifyPayment', failMode: 'SOMETIMES' })).status).toBe(400);
  });

  it('delays its answers as switched', async () => {
    sim.switches.delay('notifyPayment', 150);
    const started = performance.now();
    await mppCalls(sim, NOTIFY, notification);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('the simulator client against the real MPP app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  const client = (o: { transport: ReturnType<typeof injectTransport>; mppPublicKey?: KeyObject }) =>
    new SimulatorClient({
      keys: { ...simulatorKeys, mppPublicKey: o.mppPublicKey ?? testKeys.mppPublic },
      clientId: TEST_CLIENT_ID,
      pspId: TEST_PSP_ID,
      acquirerId: TEST_ACQUIRER_ID,
      transport: o.transport,
    });

  it('signs an inquiryPayment the envelope accepts and verifies the answer: F ORDER_NOT_EXIST', async () => {
    const res = await client({ transport: injectTransport(t.app) }).inquiryPayment('no-such-payment');
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F' });
    expect(res.signatureValid).toBe(true);
  });

  it('does the same over a real socket', async () => {
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await client({ transport: fetchTransport(address) }).inquiryPayment('no-such-payment');
    expect(res.body.result).toMatchObject({ resultCode: 'ORDER_NOT_EXIST' });
    expect(res.signatureValid).toBe(true);
  });

  it('sets a customer up as ops would: created once, then reported as existing', async () => {
    const ops = { transport: injectTransport(t.app), opsApiToken: TEST_OPS_TOKEN };
    expect((await createCustomer(ops, 'sim-alice', 'KRW')).status).toBe(201);
    const again = await createCustomer(ops, 'sim-alice', 'KRW');
    expect(again.status).toBe(409);
  });

  it('mints app tokens the MPP app auth accepts for the customer', async () => {
    const token = await appToken(t.secrets.appJwtSecret, 'sim-alice');
    expect(await verifyAppToken(token, { secret: t.secrets.appJwtSecret, now: () => new Date() })).toEqual({ ok: true, customerId: 'sim-alice' });
  });

  it('reports an answer it cannot verify (another MPP key) as signatureValid false', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await client({ transport: injectTransport(t.app), mppPublicKey: publicKey }).inquiryPayment('no-such-payment');
    expect(res.body.result).toMatchObject({ resultCode: 'ORDER_NOT_EXIST' });
    expect(res.signatureValid).toBe(false);
  });
});
