/**
 * §8 userInitiatedPay: `POST /app/v1/payments/initiate` against the simulator playing Alipay+ (it
 * issues order codes and decodes them on userInitiatedPay). Each rule of issue #18 by scenario.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueOrderCode } from '../../src/simulator/order-codes.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import { appJwt, createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { balanceOf, CANCEL_PATH, cancelBody, openAsPayer, press, REFUND_PATH, refundBody, topUp } from '../support/cashier.ts';
import { initiate, LOCAL_OUTBOUND_ENV, startTestSimulator, userInitiatedPayCalls } from '../support/initiate.ts';
import { INQUIRY_PATH } from '../support/payments.ts';

const C = 'C_INITIATE';
const OTHER = 'C_INITIATE_OTHER';
let t: TestApp;
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startTestSimulator();
  // Short tries, so the timeout scenario is quick: 300 ms a try, at most 3, inside the 4 s wait.
  // The simulator's notify URL is http on 127.0.0.1: allowed as for a local run (issue 16's rules).
  t = await testApp({ env: { ALIPAYPLUS_BASE_URL: sim.url, USER_INITIATED_PAY_TIMEOUT_MS: '300', ...LOCAL_OUTBOUND_ENV } });
  await createCustomer(t.app, C, 'KRW');
  await createCustomer(t.app, OTHER, 'KRW');
  await createCustomer(t.app, 'C_INITIATE_USD', 'USD');
  await topUp(t.app, C, '100000');
}, 30_000);
afterEach(() => sim.switches.reset());
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const paymentsOf = (paymentRequestId: string) => t.database.db.selectFrom('payments').selectAll().where('payment_request_id', '=', paymentRequestId).execute();
const inquiry = async (paymentRequestId: string) => (await signedPost(t.app, INQUIRY_PATH, cancelBody(paymentRequestId))).json();
const dispatcher = () => t.jobs.find((j) => j.name.includes('notify'))!;

describe('identify first (§6)', () => {
  it('refuses a code that is not an Alipay+ code with F INVALID_CODE, without calling Alipay+', async () => {
    const before = userInitiatedPayCalls(sim).length;
    const res = await initiate(t.app, C, 'https://merchant.example/not-ours');
    expect(res.status).toBe(400);
    expect(res.body.result).toMatchObject({ resultCode: 'INVALID_CODE', resultStatus: 'F' });
    expect(res.body.result.resultMessage).toContain('not an Alipay+ code');
    expect(userInitiatedPayCalls(sim)).toHaveLength(before);
  });

  it('refuses an Alipay+ entry code (OPEN_URL): it is not an order code', async () => {
    const res = await initiate(t.app, C, 'https://g.alipayplus.com/page/entry123');
    expect(res.status).toBe(400);
    expect(res.body.result.resultCode).toBe('INVALID_CODE');
    expect(res.body.result.resultMessage).toContain('entry code');
  });

  it('refuses a blank code and one over 512 characters with F PARAM_ILLEGAL', async () => {
    expect((await initiate(t.app, C, ' ')).body.result.resultCode).toBe('PARAM_ILLEGAL');
    const long = await initiate(t.app, C, `https://qr.alipayplus.com/28166613${'1'.repeat(520)}`);
    expect(long.status).toBe(400);
    expect(long.body.result.resultMessage).toContain('512');
  });
});

describe('an order code becomes a §4 payment', () => {
  it('stores the order under Alipay+ paymentRequestId and answers the cashier link; Pay debits and a signed notifyPayment reaches the paymentNotifyUrl', async () => {
    const code = issueOrderCode({ scenario: 'fx', notifyUrl: true });
    const res = await initiate(t.app, C, code);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      result: { resultCode: 'SUCCESS', resultStatus: 'S' },
      paymentAmount: { currency: 'JPY', value: '100' },
      payToAmount: { currency: 'KRW', value: '1000' },
      order: { merchantName: expect.any(String), orderDescription: expect.any(String) },
    });
    expect(res.body.sdkActionPayload).toBeUndefined();
    const calls = userInitiatedPayCalls(sim, code);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ signatureValid: true, body: { codeValue: code, customerId: C } });

    const [row] = await paymentsOf(res.body.paymentRequestId);
    expect(row).toMatchObject({ id: res.body.paymentId, customer_id: C, status: 'PROCESSING' });
    expect(row!.request).toMatchObject({ paymentNotifyUrl: `${sim.url}/aps/api/v1/payments/notifyPayment` });

    const path = new URL(res.body.paymentUrl).pathname;
    const before = await balanceOf(t.app, C);
    const paid = await press(t.app, path, 'pay', {}, C);
    expect(paid.body).toContain('data-status="SUCCESS"');
    expect(await balanceOf(t.app, C)).toBe(before - 1000n);

    await dispatcher().runOnce(new Date());
    const note = await sim.notifications.waitFor((n) => (n.body as { paymentRequestId?: string }).paymentRequestId === res.body.paymentRequestId, 5000);
    expect(note).toMatchObject({ signatureValid: true, problems: [], answer: { resultStatus: 'S' } });
    expect(note.body).toMatchObject({ paymentId: res.body.paymentId, customerId: C, paymentResult: { resultStatus: 'S', resultCode: 'SUCCESS' } });

    // inquiryPayment from Alipay+ agrees.
    expect((await inquiry(res.body.paymentRequestId)).paymentResult).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
  });

  it('answers the same payment to a repeat by the same user; another user gets Alipay+ F REPEAT_REQ_INCONSISTENT', async () => {
    const code = issueOrderCode({ scenario: 'promo' });
    const first = await initiate(t.app, C, code);
    const again = await initiate(t.app, C, code);
    expect(again.status).toBe(200);
    expect(again.body.paymentId).toBe(first.body.paymentId);
    expect(again.body.paymentUrl).toBe(first.body.paymentUrl);
    const other = await initiate(t.app, OTHER, code);
    expect(other.status).toBe(409);
    expect(other.body.result).toMatchObject({ resultCode: 'REPEAT_REQ_INCONSISTENT', resultStatus: 'F' });
    expect(await paymentsOf(first.body.paymentRequestId)).toHaveLength(1);
  });

  it('answers sdkActionPayload and no cashier link when Alipay+ says HANDLE_BY_SDK (the order is stored all the same)', async () => {
    const res = await initiate(t.app, C, issueOrderCode({ sdk: true }));
    expect(res.status).toBe(200);
    expect(typeof res.body.sdkActionPayload).toBe('string');
    expect(res.body.paymentUrl).toBeUndefined();
    expect(await paymentsOf(res.body.paymentRequestId)).toHaveLength(1);
  });

  it('carries the surcharge: the user pays surchargeAmount', async () => {
    const res = await initiate(t.app, C, issueOrderCode({ scenario: 'surcharge' }));
    expect(res.status).toBe(200);
    expect(res.body.surchargeAmount).toEqual({ currency: 'KRW', value: '50' });
  });

  it("applies pay's rules to the order: unknown user, wallet in another currency", async () => {
    const unknown = await initiate(t.app, 'C_NOBODY', issueOrderCode());
    expect(unknown.status).toBe(404);
    expect(unknown.body.result.resultCode).toBe('USER_NOT_EXIST');
    const usd = await initiate(t.app, 'C_INITIATE_USD', issueOrderCode());
    expect(usd.status).toBe(400);
    expect(usd.body.result.resultCode).toBe('CURRENCY_NOT_SUPPORT');
  });

  it('answers a paid code with its final result and no link', async () => {
    const code = issueOrderCode();
    const first = await initiate(t.app, C, code);
    await signedPost(t.app, CANCEL_PATH, cancelBody(first.body.paymentRequestId));
    const again = await initiate(t.app, C, code);
    expect(again.status).toBe(200);
    expect(again.body.result).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    expect(again.body.paymentUrl).toBeUndefined();
  });
});

describe('retries and Alipay+ failures', () => {
  it('retries a U answer with the same codeValue: one payment', async () => {
    sim.switches.failNext('userInitiatedPay', 2, 'U');
    const code = issueOrderCode();
    const res = await initiate(t.app, C, code);
    expect(res.status).toBe(200);
    const calls = userInitiatedPayCalls(sim, code);
    expect(calls.map((c) => c.answer.resultStatus)).toEqual(['U', 'U', 'S']);
    expect(await paymentsOf(res.body.paymentRequestId)).toHaveLength(1);
  });

  it('retries an HTTP 500 too', async () => {
    sim.switches.failNext('userInitiatedPay', 1, 'HTTP_500');
    const res = await initiate(t.app, C, issueOrderCode());
    expect(res.status).toBe(200);
  });

  it('answers U (503) when every try times out; the app sending the same code again gets one payment', async () => {
    sim.switches.delay('userInitiatedPay', 450);
    const code = issueOrderCode();
    const slow = await initiate(t.app, C, code);
    expect(slow.status).toBe(503);
    expect(slow.body.result).toMatchObject({ resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' });
    expect(slow.body.result.resultMessage).toContain('timeout');
    await new Promise((r) => setTimeout(r, 500)); // the late answers arrive at the simulator
    expect(userInitiatedPayCalls(sim, code).length).toBeGreaterThanOrEqual(2);
    sim.switches.reset();
    const retried = await initiate(t.app, C, code);
    expect(retried.status).toBe(200);
    expect(await paymentsOf(retried.body.paymentRequestId)).toHaveLength(1);
  });

  it("passes Alipay+'s F through with its code (an expired code, a failed process), without retrying", async () => {
    const expired = await initiate(t.app, C, issueOrderCode({ issuedAt: Date.now() - 700_000 }));
    expect(expired.status).toBe(400);
    expect(expired.body.result).toMatchObject({ resultCode: 'EXPIRED_CODE', resultStatus: 'F' });
    sim.switches.failNext('userInitiatedPay', 1, 'F');
    const code = issueOrderCode();
    const failed = await initiate(t.app, C, code);
    expect(failed.body.result).toMatchObject({ resultCode: 'PROCESS_FAIL', resultStatus: 'F' });
    expect(userInitiatedPayCalls(sim, code)).toHaveLength(1);
  });

  it('does not believe an answer with a bad signature: U, not retried, nothing stored', async () => {
    sim.switches.failNext('userInitiatedPay', 1, 'BAD_SIGNATURE');
    const code = issueOrderCode();
    const res = await initiate(t.app, C, code);
    expect(res.status).toBe(503);
    expect(res.body.result.resultMessage).toContain('signature');
    expect(userInitiatedPayCalls(sim, code)).toHaveLength(1);
  });
});

describe("the initiated order's cashier knows who pays (§5, issue 16)", () => {
  it('only the user who initiated can Pay or Cancel: the link alone or another user changes nothing', async () => {
    const res = await initiate(t.app, C, issueOrderCode());
    const path = new URL(res.body.paymentUrl).pathname;
    const before = await balanceOf(t.app, C);
    // Another user of the app opens the link (it reached them somehow): the order, no buttons.
    const seen = await t.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${await appJwt(OTHER)}` } });
    expect(seen.body).toContain('Open this payment in the wallet app');
    expect(seen.body).not.toContain('id="pay"');
    const otherSession = String([seen.headers['set-cookie']].flat()[0] ?? '').split(';')[0]!;
    expect(otherSession).toMatch(/^mpp_cashier=/);
    // Pay and Cancel with the payer's own csrf field, as another user and with no session: 403.
    const { csrf } = await openAsPayer(t.app, path, {}, C);
    for (const cookie of [otherSession, undefined]) {
      for (const action of ['pay', 'cancel']) {
        const posted = await t.app.inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
          payload: new URLSearchParams({ action, csrf }).toString(),
        });
        expect(posted.statusCode, `${action} ${cookie ? 'as another user' : 'without a session'}`).toBe(403);
      }
    }
    expect(await balanceOf(t.app, C)).toBe(before);
    expect((await paymentsOf(res.body.paymentRequestId))[0]!.status).toBe('PROCESSING');
    // The user who initiated it pays.
    expect((await press(t.app, path, 'pay', {}, C)).body).toContain('data-status="SUCCESS"');
    expect(await balanceOf(t.app, C)).toBe(before - 1000n);
  });
});

describe('after the cashier: Alipay+ inquiry, cancel, refund and the expiry sweep work on it unchanged', () => {
  it('cancelPayment closes an open initiated order; inquiry says F ORDER_IS_CLOSED', async () => {
    const res = await initiate(t.app, C, issueOrderCode());
    const cancel = (await signedPost(t.app, CANCEL_PATH, cancelBody(res.body.paymentRequestId))).json();
    expect(cancel.result.resultStatus).toBe('S');
    expect((await inquiry(res.body.paymentRequestId)).paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
  });

  it('refunds a paid initiated payment at its own rate', async () => {
    const res = await initiate(t.app, C, issueOrderCode());
    await press(t.app, new URL(res.body.paymentUrl).pathname, 'pay', {}, C);
    const before = await balanceOf(t.app, C);
    const refund = (await signedPost(t.app, REFUND_PATH, refundBody(res.body.paymentRequestId, `RF${res.body.paymentId}`, '40', '400'))).json();
    expect(refund.result.resultStatus).toBe('S');
    expect(await balanceOf(t.app, C)).toBe(before + 400n);
  });

  it('the expiry sweep closes an initiated order past its paymentExpiryTime', async () => {
    const res = await initiate(t.app, C, issueOrderCode({ scenario: 'expiry', expirySeconds: 30 }));
    expect(res.status).toBe(200);
    const sweeper = t.jobs.find((j) => j.name === 'expiry-sweeper')!;
    await sweeper.runOnce(new Date(Date.now() + 60_000));
    const [row] = await paymentsOf(res.body.paymentRequestId);
    expect(row!.status).toBe('CLOSED');
    expect((await inquiry(res.body.paymentRequestId)).paymentResult.resultCode).toBe('ORDER_IS_CLOSED');
  });
});
