/**
 * §9 the app's payment codes and §10 its Auto Debit bindings, against the simulator as Alipay+:
 * getPaymentCode, then the simulator pays with a code as a merchant would; an agreement is bound
 * (AGREEMENT_PAY auth code, applyToken), listed, charged and removed (consultUnbinding, revoke,
 * authNotify TOKEN_CANCELED), with the outbox surviving failures.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.ts';
import { balanceOf, topUp } from '../support/cashier.ts';
import { appJwt, createCustomer, signedPost, TEST_CLIENT_ID, type TestApp, testApp, testKeys } from '../support/harness.ts';
import { PAY_PATH, withField } from '../support/payments.ts';
import { agreementPay, codePay } from '../support/sync-pay.ts';
import { applyWithCode, applyWithRefresh, authCodeFor, tokensFor } from '../support/tokens.ts';

let sim: RunningSimulator;
let t: TestApp;
const A = 'C_PCA_A';
const B = 'C_PCA_B';

beforeAll(async () => {
  sim = await startSimulator({ keys: { privateKey: testKeys.aplusPrivate, mppPublicKey: testKeys.mppPublic, keyVersion: '1' }, clientId: TEST_CLIENT_ID });
  t = await testApp({ env: { ALIPAYPLUS_BASE_URL: sim.url } });
  await createCustomer(t.app, A, 'KRW');
  await createCustomer(t.app, B, 'KRW');
  await topUp(t.app, A, '100000');
});
afterAll(async () => {
  await t.close();
  await sim.close();
});
beforeEach(() => {
  sim.switches.reset();
  sim.setAllowUnbinding(true);
});

async function asApp(customerId: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) {
  return t.app.inject({ method, url, headers: { authorization: `Bearer ${await appJwt(customerId)}` }, ...(payload ? { payload } : {}) });
}

/** An Auto Debit binding (§10): an AGREEMENT_PAY auth code exchanged for tokens. */
const bind = (customerId: string) => tokensFor(t, customerId, ['AGREEMENT_PAY']);

const unbinder = () => t.jobs.find((j) => j.name === 'agreement-unbinder')!;
const requestsTo = (endpoint: string) => sim.requests.list().filter((r) => r.endpoint === endpoint);

describe('§9 POST /app/v1/paymentCodes', () => {
  it('gets codes from Alipay+ (signed getPaymentCode for the customer) and the merchant pays with one at once', async () => {
    const res = await asApp(A, 'POST', '/app/v1/paymentCodes', { region: 'JP', codeQuantity: 2 });
    expect(res.statusCode).toBe(200);
    const codes = res.json().paymentCodes as { codeValue: string; expiryTime: string }[];
    expect(codes).toHaveLength(2);
    expect(codes[0]!.expiryTime).toMatch(/[+-]\d{2}:\d{2}$/);
    const call = requestsTo('getPaymentCode').at(-1)!;
    expect(call.signatureValid).toBe(true);
    expect(call.body).toMatchObject({ customerId: A, region: 'JP', codeQuantity: '2', env: { terminalType: 'APP' } });

    // The merchant scans the first code: Alipay+ knows whose it is and calls our pay.
    expect(sim.paymentCodes.get(codes[0]!.codeValue)).toBe(A);
    const before = await balanceOf(t.app, A);
    const paid = (await signedPost(t.app, PAY_PATH, withField(codePay(A), 'paymentMethod.paymentMethodId', codes[0]!.codeValue))).json();
    expect(paid.result.resultCode).toBe('SUCCESS');
    expect(await balanceOf(t.app, A)).toBe(before - 1000n);
    const view = await asApp(A, 'GET', `/app/v1/payments/${paid.paymentId}`);
    expect(view.json().payment.status).toBe('SUCCESS');
  });

  it('is 503 U when Alipay+ does not answer provably, 403 F when it refuses, 400 on a bad quantity, 404 for an unknown customer', async () => {
    sim.switches.failNext('getPaymentCode', 1, 'BAD_SIGNATURE');
    expect((await asApp(A, 'POST', '/app/v1/paymentCodes', {})).statusCode).toBe(503);
    sim.switches.failNext('getPaymentCode', 1, 'F');
    const refused = await asApp(A, 'POST', '/app/v1/paymentCodes', {});
    expect(refused.statusCode).toBe(403);
    expect(refused.json().result.resultMessage).toContain('PROCESS_FAIL');
    expect((await asApp(A, 'POST', '/app/v1/paymentCodes', { codeQuantity: 11 })).statusCode).toBe(400);
    expect((await asApp('C_PCA_NOBODY', 'POST', '/app/v1/paymentCodes', {})).statusCode).toBe(404);
  });
});

describe('§10 agreements', () => {
  it('lists a binding made with an AGREEMENT_PAY auth code, not a plain one, and only to its customer', async () => {
    await bind(B);
    await applyWithCode(t, await authCodeFor(t, B));
    const list = (await asApp(B, 'GET', '/app/v1/agreements')).json().agreements;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ acquirerId: '2052666000000000', scopes: ['AGREEMENT_PAY'] });
    expect((await asApp(A, 'GET', '/app/v1/agreements')).json().agreements.map((a: { agreementId: string }) => a.agreementId)).not.toContain(list[0].agreementId);
    expect((await asApp(A, 'DELETE', `/app/v1/agreements/${list[0].agreementId}`)).statusCode).toBe(404);
  });

  it('unbinds: consultUnbinding, revoke, authNotify TOKEN_CANCELED, in that order, naming the live (refreshed) token; then it no longer pays', async () => {
    const first = await bind(A);
    const refreshed = (await applyWithRefresh(t, first.refreshToken)).json();
    const agreementId = (await asApp(A, 'GET', '/app/v1/agreements')).json().agreements.at(-1).agreementId;
    const mark = sim.requests.list().length;
    const res = await asApp(A, 'DELETE', `/app/v1/agreements/${agreementId}`);
    expect(res.json()).toMatchObject({ agreementId, unbindStatus: 'UNBOUND' });
    const calls = sim.requests.list().slice(mark);
    expect(calls.map((c) => c.endpoint)).toEqual(['consultUnbinding', 'authNotify']);
    expect(calls.every((c) => c.signatureValid)).toBe(true);
    expect(calls[0]!.body).toMatchObject({ accessToken: refreshed.accessToken });
    expect(calls[1]!.body).toMatchObject({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: refreshed.accessToken, customerId: A });
    expect((await asApp(A, 'GET', '/app/v1/agreements')).json().agreements.map((a: { agreementId: string }) => a.agreementId)).not.toContain(agreementId);
    expect((await signedPost(t.app, PAY_PATH, agreementPay(A, refreshed.accessToken))).json().result.resultCode).toBe('INVALID_TOKEN');
    // A repeat answers where it stands.
    expect((await asApp(A, 'DELETE', `/app/v1/agreements/${agreementId}`)).json().unbindStatus).toBe('UNBOUND');
  });

  it('keeps the token of the current pair through rotations: a repeated refresh answered after a later rotation does not put an older token back', async () => {
    const first = await bind(A);
    const one = (await applyWithRefresh(t, first.refreshToken)).json();
    const two = (await applyWithRefresh(t, one.refreshToken)).json();
    expect(two.accessToken).not.toBe(one.accessToken);
    // Alipay+ retries the first refresh (its answer was lost): within the grace it gets that rotation's pair again...
    const repeated = (await applyWithRefresh(t, first.refreshToken)).json();
    expect(repeated.accessToken).toBe(one.accessToken);
    // ...but the agreement still names the token of the grant's current pair, the one that outlives the grace.
    const agreementId = (await asApp(A, 'GET', '/app/v1/agreements')).json().agreements.at(-1).agreementId;
    const mark = sim.requests.list().length;
    expect((await asApp(A, 'DELETE', `/app/v1/agreements/${agreementId}`)).json()).toMatchObject({ agreementId, unbindStatus: 'UNBOUND' });
    const calls = sim.requests.list().slice(mark);
    expect(calls.map((c) => c.endpoint)).toEqual(['consultUnbinding', 'authNotify']);
    expect(calls.map((c) => (c.body as { accessToken: string }).accessToken)).toEqual([two.accessToken, two.accessToken]);
  });

  it('keeps the binding when Alipay+ does not allow unbinding (REFUSED), and the token still pays', async () => {
    const { accessToken } = await bind(A);
    const agreementId = (await asApp(A, 'GET', '/app/v1/agreements')).json().agreements.at(-1).agreementId;
    sim.setAllowUnbinding(false);
    expect((await asApp(A, 'DELETE', `/app/v1/agreements/${agreementId}`)).json().unbindStatus).toBe('REFUSED');
    expect((await signedPost(t.app, PAY_PATH, agreementPay(A, accessToken))).json().result.resultCode).toBe('SUCCESS');
  });

  it('loses nothing when Alipay+ fails: PENDING, then the job retries consult and notify until both are answered', async () => {
    const { accessToken } = await bind(A);
    const agreementId = (await asApp(A, 'GET', '/app/v1/agreements')).json().agreements.at(-1).agreementId;
    sim.switches.failNext('consultUnbinding', 1, 'HTTP_500');
    sim.switches.failNext('authNotify', 1, 'U');
    expect((await asApp(A, 'DELETE', `/app/v1/agreements/${agreementId}`)).json().unbindStatus).toBe('PENDING');
    // The token still works: nothing was revoked before Alipay+ allowed it.
    expect((await signedPost(t.app, PAY_PATH, agreementPay(A, accessToken))).json().result.resultCode).toBe('SUCCESS');
    const later = new Date(Date.now() + 60 * 60_000);
    await unbinder().runOnce(later); // consult answered, revoked; notify fails (U)
    expect((await signedPost(t.app, PAY_PATH, agreementPay(A, accessToken))).json().result.resultCode).toBe('INVALID_TOKEN');
    const row = await t.database.db.selectFrom('agreements').selectAll().where('grant_id', '=', agreementId).executeTakeFirstOrThrow();
    expect(row.unbind_state).toBe('NOTIFY');
    expect(row.access_token_sealed).not.toContain(accessToken);
    await unbinder().runOnce(new Date(later.getTime() + 60 * 60_000));
    expect((await t.database.db.selectFrom('agreements').select('unbind_state').where('grant_id', '=', agreementId).executeTakeFirstOrThrow()).unbind_state).toBe(
      'UNBOUND',
    );
  });
});
