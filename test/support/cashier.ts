/** Cashier test helpers: top up, open the page, post its form (as a browser would). */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { appJwt, opsHeaders, signedPost, TEST_ACQUIRER_ID, TEST_PSP_ID } from './harness.ts';
import { newRequestId, PAY_PATH, seedPay } from './payments.ts';

export const CANCEL_PATH = '/alipayplus/v1/payments/cancelPayment';
export const REFUND_PATH = '/alipayplus/v1/payments/refund';

export async function topUp(app: FastifyInstance, customerId: string, value: string, currency = 'KRW'): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: `/ops/v1/customers/${customerId}/topUps`,
    headers: { ...opsHeaders(), 'idempotency-key': `test-${randomUUID()}` },
    payload: { amount: { currency, value }, reason: 'test top-up' },
  });
  if (res.statusCode >= 300) throw new Error(`top-up failed: ${res.statusCode} ${res.body}`);
}

export async function balanceOf(app: FastifyInstance, customerId: string): Promise<bigint> {
  const res = await app.inject({ method: 'GET', url: `/ops/v1/customers/${customerId}`, headers: opsHeaders() });
  const body = res.json() as Record<string, any>;
  const b = body.balance ?? body.customer?.balance;
  return BigInt(b.value);
}

/** A signed seed pay (JPY 100 -> KRW 1000); returns the answer's paymentId, paymentUrl and path. */
export async function openPayment(app: FastifyInstance, customerId: string, extra: Record<string, unknown> = {}) {
  const paymentRequestId = newRequestId();
  const res = await signedPost(app, PAY_PATH, { ...seedPay(customerId, paymentRequestId), ...extra });
  const body = res.json() as { paymentId: string; paymentUrl: string; result: { resultCode: string } };
  if (body.result.resultCode !== 'PAYMENT_IN_PROCESS') throw new Error(`pay not accepted: ${res.body}`);
  const path = new URL(body.paymentUrl).pathname;
  payerOfPath.set(path, String((extra.customerId as string | undefined) ?? customerId));
  return { paymentRequestId, paymentId: body.paymentId, paymentUrl: body.paymentUrl, path };
}

/** The csrf hidden field of a rendered cashier page. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no csrf field in the page');
  return m[1]!;
}

/** The customer of each payment opened through openPayment, by cashier path (§5: who pays). */
const payerOfPath = new Map<string, string>();

/**
 * Open the page as the app's webview does (§5): the payer's app JWT as a bearer header on the GET;
 * returns the page, its csrf field and the session cookie to send with the form.
 */
export async function openAsPayer(app: FastifyInstance, path: string, headers: Record<string, string> = {}, customerId = payerOfPath.get(path)) {
  if (!customerId) throw new Error(`no payer known for ${path}: pass the customerId`);
  const page = await app.inject({ method: 'GET', url: path, headers: { ...headers, authorization: `Bearer ${await appJwt(customerId)}` } });
  const set = page.headers['set-cookie'];
  const cookie = String(Array.isArray(set) ? set[0] : (set ?? '')).split(';')[0]!;
  return { page, csrf: csrfOf(page.body), cookie };
}

/** GET the page as its payer, then POST its form with `action`, like the webview pressing the button. */
export async function press(app: FastifyInstance, path: string, action: 'pay' | 'cancel', headers: Record<string, string> = {}, customerId?: string) {
  const { csrf, cookie } = await openAsPayer(app, path, headers, customerId);
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
    payload: new URLSearchParams({ action, csrf }).toString(),
  });
}

export const cancelBody = (paymentRequestId: string) => ({ pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId });

export function refundBody(paymentRequestId: string, refundRequestId: string, refundJpy: string, refundKrw: string) {
  return {
    pspId: TEST_PSP_ID,
    acquirerId: TEST_ACQUIRER_ID,
    refundRequestId,
    paymentRequestId,
    refundAmount: { currency: 'JPY', value: refundJpy },
    refundFromAmount: { currency: 'KRW', value: refundKrw },
  };
}
