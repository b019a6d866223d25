/**
 * `npm run demo`: the seed flow (contract §7) end to end on one machine, with nothing configured.
 *
 * Starts the service in-process on its embedded defaults (PGlite in a fresh temporary DATA_DIR,
 * the in-process store, dev keys generated there) and the Alipay+ simulator (src/simulator/) on
 * the same dev keys, with ALIPAYPLUS_BASE_URL pointing at it; then, over real HTTP:
 *
 *   ops creates a KRW customer and tops it up -> the app identifies an order code (§6) -> asks
 *   for an auth code -> Alipay+ applyToken (§3) -> pay, the seed's JPY 100 -> KRW 1000 at
 *   JPY/KRW 10.0000 (§4) -> the user opens the cashier link and presses Pay (§5, seed step 7) ->
 *   our notify dispatcher (a background job) delivers notifyPayment to the simulator (§5) ->
 *   inquiryPayment says S SUCCESS -> a partial refund at the payment's rate (§5) -> the wallet
 *   balance is what the ledger says it must be.
 *
 * Then two sections of their own: §9 the app gets a payment code (getPaymentCode through the
 * simulator), the simulator pays with it as a merchant would and the pay debits at once; §10 the
 * user binds an agreement (AGREEMENT_PAY auth code, applyToken), the simulator charges it with no
 * user present, the user unbinds it (consultUnbinding, revoke, authNotify) and the token no longer
 * pays; the balance reconciles again.
 * Last, the §8 flow as its own section (Alipay+ does not call pay): the simulator issues an order
 * code -> the app sends it to `POST /app/v1/payments/initiate` -> our server identifies it and
 * calls the simulator's userInitiatedPay, which decodes it into the order -> the user opens our
 * cashier from the app (its JWT on the first GET) and presses Pay -> notifyPayment reaches the
 * simulator, signed -> the balance reconciles.
 *
 * Every step prints a progress line; a summary table ends the run. runDemo() returns the summary
 * (the e2e test calls it); main() exits 0 only when every step succeeded. Server and simulator
 * are always closed, and the temporary DATA_DIR removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config.ts';
import { type RunningServer, startServer } from '../server.ts';
import { fetchTransport, SimulatorClient, type Transport } from '../simulator/client.ts';
import { issueOrderCode } from '../simulator/order-codes.ts';
import { agreementPayRequest, payRequest, paymentCodePayRequest, refundRequest } from '../simulator/scenarios.ts';
import { type RunningSimulator, startSimulator } from '../simulator/server.ts';
import { simulatorSettings } from '../simulator/settings.ts';
import { appToken, createCustomer, initiatePayment, listAgreements, requestAuthCode, requestPaymentCodes, topUp, unbindAgreement } from '../simulator/wallet-app.ts';

export interface DemoStep {
  /** Which flow: the seed's (Alipay+ calls pay) or §8's (the app initiates, userInitiatedPay). */
  readonly section: DemoSection;
  readonly step: string;
  readonly ok: boolean;
  /** The result as the service (or the simulator) stated it, e.g. `S SUCCESS`, `HTTP 200`. */
  readonly result: string;
  /** The one figure worth reading, e.g. `JPY 100 -> KRW 1000 @ 10.0000`. */
  readonly figure: string;
}

export interface DemoSummary {
  readonly ok: boolean;
  readonly steps: readonly DemoStep[];
  /** The step that failed, when one did. */
  readonly failedStep?: string;
}

export interface DemoOptions {
  /** Where progress lines go (default: stdout). */
  readonly print?: (line: string) => void;
  /** How long to wait for notifyPayment to reach the simulator. */
  readonly notifyTimeoutMs?: number;
}

const CUSTOMER_ID = 'demo-alice';
const TOP_UP_KRW = 10_000n;
/** The seed's merchant-presented order code (§6, seed step 3). */
const ORDER_CODE = 'https://qr.alipayplus.com/281666130000000012345';
/** The refund: JPY 30 of the JPY 100 paid, at the payment's own JPY/KRW 10.0000. */
const REFUND_JPY = 30n;

const STEPS = [
  'identify',
  'authCode',
  'applyToken',
  'pay',
  'cashier page',
  'cashier Pay',
  'notifyPayment',
  'inquiryPayment',
  'refund',
  'balance',
  // §9 user-presented mode: the wallet shows a payment code, the merchant scans it.
  'paymentCodes',
  'code pay',
  // §10 Auto Debit: bind, charge with no user present, unbind.
  'agreement bind',
  'agreement pay',
  'unbind',
  'final balance',
] as const;
/** §8: the wallet initiates; Alipay+ never calls pay. */
const INITIATED_STEPS = ['order code', 'initiate', 'initiated cashier Pay', 'initiated notifyPayment', 'initiated balance'] as const;

export const DEMO_SECTIONS = ['seed: Alipay+ calls pay', '§9 payment codes', '§10 Auto Debit', '§8: the app initiates (userInitiatedPay)'] as const;
export type DemoSection = (typeof DEMO_SECTIONS)[number];

/** The section of a step, from its place in STEPS (n) or INITIATED_STEPS (m). */
function sectionOf(n: number, m: number): DemoSection {
  if (m >= 0) return '§8: the app initiates (userInitiatedPay)';
  const step = STEPS[n];
  if (step === 'paymentCodes' || step === 'code pay') return '§9 payment codes';
  if (step === 'agreement bind' || step === 'agreement pay' || step === 'unbind' || step === 'final balance') return '§10 Auto Debit';
  return 'seed: Alipay+ calls pay';
}

class StepFailed extends Error {}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new StepFailed(what);
}

type Json = Record<string, any>;

const resultOf = (body: Json, field = 'result') => {
  const r = body[field] as { resultStatus?: string; resultCode?: string } | undefined;
  return r ? `${r.resultStatus} ${r.resultCode}` : 'no result';
};
const money = (a: { currency?: string; value?: string } | undefined) => (a ? `${a.currency} ${a.value}` : '?');

/** A port nobody listens on now, so PUBLIC_BASE_URL can name it before the server starts. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The hidden inputs of the cashier's form (csrf, ...), read from the HTML as a browser would. */
export function hiddenInputs(html: string): Record<string, string> {
  const unescapeEntities = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const attr = (name: string) => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(tag);
    const type = attr('type');
    const name = attr('name');
    if (!type || (type[1] ?? type[2])?.toLowerCase() !== 'hidden' || !name) continue;
    const value = attr('value');
    fields[unescapeEntities(name[1] ?? name[2] ?? '')] = unescapeEntities(value ? (value[1] ?? value[2] ?? '') : '');
  }
  return fields;
}

async function getJson(transport: Transport, path: string, bearer: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await transport({ method: body === undefined ? 'GET' : 'POST', url: path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  let parsed: Json = {};
  try {
    parsed = JSON.parse(res.body.toString('utf8')) as Json;
  } catch {
    // not JSON: the status says what happened
  }
  return { status: res.status, body: parsed };
}

async function waitReady(baseUrl: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${baseUrl}/readyz`).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > until) throw new StepFailed(`/readyz did not answer 200 within ${timeoutMs} ms (last: ${res?.status ?? 'no answer'})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function table(steps: readonly DemoStep[]): string {
  const rows = [['step', '', 'result', 'key figure'], ...steps.map((s) => [s.step, s.ok ? 'ok' : 'FAIL', s.result, s.figure])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const section of DEMO_SECTIONS) {
    const of = steps.filter((s) => s.section === section);
    if (of.length > 0) out.push(`== ${section}`, ...of.map((s) => line([s.step, s.ok ? 'ok' : 'FAIL', s.result, s.figure])));
  }
  return out.join('\n');
}

/**
 * The user opens the cashier link from the app (its JWT on the first GET, contract §5) and presses
 * Pay: the form posts back to the page's own URL (no action attribute), with the session cookie
 * the app JWT was exchanged for (issue 16: only the payment's customer pays). Returns the answer's
 * status and the payment status it shows.
 */
async function payInCashier(
  paymentUrl: string,
  jwt: string,
): Promise<{ page: Response; html: string; fields: Record<string, string>; confirmed: Response; status: string | undefined }> {
  const page = await fetch(paymentUrl, { redirect: 'manual', headers: { authorization: `Bearer ${jwt}` } });
  const html = await page.text();
  const fields = hiddenInputs(html);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  check(/(^|; )mpp_cashier=/.test(cookie), 'the cashier gave no session cookie for the app JWT');
  const action = /<form\b[^>]*\baction="([^"]*)"/i.exec(html)?.[1];
  const confirmed = await fetch(new URL(action ?? '', paymentUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', cookie },
    body: new URLSearchParams({ ...fields, action: 'pay' }).toString(),
  });
  const after = await confirmed.text();
  return { page, html, fields, confirmed, status: /data-status="([A-Z_]+)"/.exec(after)?.[1] };
}

export async function runDemo(o: DemoOptions = {}): Promise<DemoSummary> {
  const print = o.print ?? ((line: string) => console.log(line));
  const dataDir = mkdtempSync(join(tmpdir(), 'mpp-demo-'));
  const steps: DemoStep[] = [];
  let server: RunningServer | undefined;
  let sim: RunningSimulator | undefined;
  let current = 'start';

  const record = (step: string, ok: boolean, result: string, figure: string) => {
    const n = (STEPS as readonly string[]).indexOf(step);
    const m = (INITIATED_STEPS as readonly string[]).indexOf(step);
    steps.push({ section: sectionOf(n, m), step, ok, result, figure });
    const prefix = n >= 0 ? `[${n + 1}/${STEPS.length}]` : m >= 0 ? `[§8 ${m + 1}/${INITIATED_STEPS.length}]` : '[setup]';
    print(`${prefix} ${step} ... ${result}${figure ? `  (${figure})` : ''}${ok ? '' : '  FAILED'}`);
  };
  const done = (step: string, result: string, figure = '') => record(step, true, result, figure);

  try {
    // Setup: the dev keys (made in DATA_DIR as `npm start` makes them), the simulator, the service.
    const env = { DATA_DIR: dataDir };
    const settings = simulatorSettings(env);
    sim = await startSimulator({ keys: settings.keys, clientId: settings.clientId, mppKeyVersion: settings.mppKeyVersion, port: 0 });
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    server = await startServer(
      loadConfig({
        ...env,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_BASE_URL: baseUrl,
        ALIPAYPLUS_BASE_URL: sim.url,
        LOG_LEVEL: 'warn',
        // A local run: the simulator's notify URL is http on the loopback (issue 16 refuses both by default).
        OUTBOUND_HTTP_ALLOWED: 'true',
        OUTBOUND_PRIVATE_ADDRESSES_ALLOWED: 'true',
      }),
    );
    await waitReady(baseUrl, 20_000);
    done('start', 'ready', `service ${baseUrl}, simulator ${sim.url}`);

    const transport = fetchTransport(baseUrl);
    const ops = { transport, baseUrl, opsApiToken: settings.opsApiToken() };
    const appJwtSecret = settings.appJwtSecret();
    const client = new SimulatorClient({ keys: settings.keys, clientId: settings.clientId, pspId: settings.pspId, acquirerId: settings.acquirerId, baseUrl });

    current = 'customer';
    const created = await createCustomer(ops, CUSTOMER_ID, 'KRW');
    check(created.status === 201, `POST /ops/v1/customers answered HTTP ${created.status}`);
    const topped = await topUp(ops, CUSTOMER_ID, 'KRW', TOP_UP_KRW.toString());
    check(topped.status >= 200 && topped.status < 300, `POST /ops/v1/customers/{id}/topUps answered HTTP ${topped.status}`);
    const before = await getJson(transport, `/ops/v1/customers/${CUSTOMER_ID}`, ops.opsApiToken);
    const balanceBefore = BigInt(before.body.customer?.balance?.value ?? -1);
    check(balanceBefore === TOP_UP_KRW, `balance after the top-up is ${balanceBefore}, expected ${TOP_UP_KRW}`);
    done('customer', `HTTP ${created.status}`, `${CUSTOMER_ID}: KRW ${balanceBefore}`);

    // 1. The app asks whether the scanned code is Alipay+'s (§6).
    current = 'identify';
    const jwt = await appToken(appJwtSecret, CUSTOMER_ID);
    const identified = await getJson(transport, '/app/v1/codes/identify', jwt, { codeValue: ORDER_CODE });
    check(identified.status === 200 && identified.body.isAcCode === true, `identify answered HTTP ${identified.status} ${JSON.stringify(identified.body)}`);
    done('identify', resultOf(identified.body), `isAcCode=${identified.body.isAcCode}, source ${identified.body.source}`);

    // 2. The app gets an auth code for the customer (§3, seed step 1.1).
    current = 'authCode';
    const authCode = await requestAuthCode({ transport, baseUrl, appJwtSecret }, CUSTOMER_ID);
    const code = authCode.body.authCode;
    check(authCode.status >= 200 && authCode.status < 300 && typeof code === 'string', `POST /app/v1/authCodes answered HTTP ${authCode.status}`);
    done('authCode', `HTTP ${authCode.status}`, `auth code ${code.slice(0, 4)}… (${code.length} chars)`);

    // 3. Alipay+ exchanges it (§3 applyToken, signed both ways).
    current = 'applyToken';
    const token = await client.applyToken({ authCode: code });
    check(token.signatureValid, 'the applyToken answer signature did not verify');
    check(resultOf(token.body) === 'S SUCCESS', `applyToken answered ${resultOf(token.body)}`);
    check(token.body.customerId === CUSTOMER_ID, `applyToken named customer ${token.body.customerId}`);
    done('applyToken', resultOf(token.body), `customerId ${token.body.customerId}, access token until ${token.body.accessTokenExpiryTime}`);

    // 4. Alipay+ pays: the seed's sample (§4, §7).
    current = 'pay';
    const request = payRequest('fx', { customerId: CUSTOMER_ID, paymentNotifyUrl: `${sim.url}/aps/api/v1/payments/notifyPayment` });
    const paid = await client.pay(request);
    check(paid.signatureValid, 'the pay answer signature did not verify');
    check(resultOf(paid.body) === 'U PAYMENT_IN_PROCESS', `pay answered ${resultOf(paid.body)}`);
    const paymentUrl = paid.body.paymentUrl;
    const paymentId = paid.body.paymentId;
    check(typeof paymentUrl === 'string' && typeof paymentId === 'string', 'pay returned no paymentUrl/paymentId');
    const quote = request.paymentQuote as { quoteCurrencyPair: string; quotePrice: string };
    done('pay', resultOf(paid.body), `${money(request.paymentAmount as Json)} -> ${money(request.payToAmount as Json)} @ ${quote.quoteCurrencyPair} ${quote.quotePrice}`);

    // 5. The user opens the cashier link from the app (seed step 7) ...
    current = 'cashier page';
    const cashier = await payInCashier(paymentUrl, jwt);
    check(cashier.page.status === 200 && /text\/html/.test(cashier.page.headers.get('content-type') ?? ''), `GET paymentUrl answered HTTP ${cashier.page.status}`);
    check(/<form\b[^>]*method="post"/i.test(cashier.html), 'the cashier page has no form');
    done('cashier page', `HTTP ${cashier.page.status} HTML`, `hidden fields: ${Object.keys(cashier.fields).join(', ') || 'none'}`);

    // 6. ... and presses Pay.
    current = 'cashier Pay';
    const { confirmed, status } = cashier;
    const redirected = confirmed.status === 303 ? confirmed.headers.get('location') : null;
    check(redirected !== null || (confirmed.status === 200 && status === 'SUCCESS'), `the cashier answered HTTP ${confirmed.status}${status ? ` (${status})` : ''}`);
    done('cashier Pay', `HTTP ${confirmed.status}`, redirected ? `303 to ${redirected}` : `payment ${status}`);

    // 7. The dispatcher (a job in the server) delivers notifyPayment to the simulator (§5).
    current = 'notifyPayment';
    const notification = await sim.notifications.waitFor((n) => (n.body as Json | undefined)?.paymentRequestId === request.paymentRequestId, o.notifyTimeoutMs ?? 30_000);
    const notified = notification.body as Json;
    check(notification.signatureValid, "the notification's signature did not verify");
    check(notification.problems.length === 0, `the notification has problems: ${notification.problems.join('; ')}`);
    check(resultOf(notified, 'paymentResult') === 'S SUCCESS', `notifyPayment said ${resultOf(notified, 'paymentResult')}`);
    done('notifyPayment', resultOf(notified, 'paymentResult'), `${money(notified.paymentAmount)} -> ${money(notified.payToAmount)}, signature ✓`);

    // 8. Alipay+ asks; the answer agrees with the notification.
    current = 'inquiryPayment';
    const inquiry = await client.inquiryPayment(request.paymentRequestId);
    check(inquiry.signatureValid, 'the inquiry answer signature did not verify');
    check(resultOf(inquiry.body, 'paymentResult') === 'S SUCCESS', `inquiryPayment said ${resultOf(inquiry.body, 'paymentResult')}`);
    check(inquiry.body.paymentTime === notified.paymentTime, 'inquiry and notification disagree on paymentTime');
    done('inquiryPayment', resultOf(inquiry.body, 'paymentResult'), `paymentTime ${inquiry.body.paymentTime}`);

    // 9. A partial refund at the payment's own rate (§5): JPY 30 -> KRW 300 at 10.0000.
    current = 'refund';
    const refund = refundRequest(
      {
        paymentRequestId: request.paymentRequestId,
        paymentId,
        paymentAmount: request.paymentAmount as { currency: string; value: string },
        payToAmount: request.payToAmount as { currency: string; value: string },
        paymentQuote: quote,
      },
      REFUND_JPY,
    );
    const refunded = await client.refund(refund);
    check(refunded.signatureValid, 'the refund answer signature did not verify');
    check(resultOf(refunded.body) === 'S SUCCESS', `refund answered ${resultOf(refunded.body)}`);
    done('refund', resultOf(refunded.body), `${money(refund.refundAmount)} -> ${money(refund.refundFromAmount)}`);

    // 10. The wallet reconciles: top-up - payToAmount + refundFromAmount.
    current = 'balance';
    const expected = TOP_UP_KRW - BigInt((request.payToAmount as Json).value) + BigInt(refund.refundFromAmount.value);
    const customer = await getJson(transport, `/ops/v1/customers/${CUSTOMER_ID}`, ops.opsApiToken);
    const balance = BigInt(customer.body.customer?.balance?.value ?? -1);
    check(balance === expected, `balance is KRW ${balance}, expected KRW ${expected}`);
    done('balance', `HTTP ${customer.status}`, `KRW ${TOP_UP_KRW} - ${(request.payToAmount as Json).value} + ${refund.refundFromAmount.value} = KRW ${balance}`);

    print('--- §9 payment codes: the wallet shows a code, the merchant scans it, pay debits at once');
    const wallet = { transport, baseUrl, appJwtSecret };
    current = 'paymentCodes';
    const codes = await requestPaymentCodes(wallet, CUSTOMER_ID, { region: 'JP', codeQuantity: 1 });
    const shown = (codes.body.paymentCodes as Json[] | undefined)?.[0];
    check(codes.status === 200 && typeof shown?.codeValue === 'string', `POST /app/v1/paymentCodes answered HTTP ${codes.status} ${JSON.stringify(codes.body)}`);
    done('paymentCodes', `HTTP ${codes.status}`, `code ${String(shown.codeValue).slice(0, 6)}… until ${shown.expiryTime}`);

    current = 'code pay';
    const scannedFor = sim.paymentCodes.get(shown.codeValue);
    check(scannedFor === CUSTOMER_ID, `the simulator issued the code for ${scannedFor}`);
    const codePay = (await client.pay(paymentCodePayRequest(shown.codeValue, scannedFor))) as { body: Json; signatureValid: boolean };
    check(codePay.signatureValid, 'the pay answer signature did not verify');
    check(resultOf(codePay.body) === 'S SUCCESS' && codePay.body.paymentUrl === undefined, `the payment-code pay answered ${resultOf(codePay.body)}`);
    done('code pay', resultOf(codePay.body), `paid at once, paymentTime ${codePay.body.paymentTime}, no paymentUrl`);

    print('--- §10 Auto Debit: the user binds a merchant, which then charges with no user present');
    current = 'agreement bind';
    const agreementCode = await requestAuthCode(wallet, CUSTOMER_ID, ['AGREEMENT_PAY']);
    const bound = await client.applyToken({ authCode: String(agreementCode.body.authCode) });
    check(resultOf(bound.body) === 'S SUCCESS', `applyToken for AGREEMENT_PAY answered ${resultOf(bound.body)}`);
    const listed = await listAgreements(wallet, CUSTOMER_ID);
    const agreement = (listed.body.agreements as Json[] | undefined)?.[0];
    check(listed.status === 200 && typeof agreement?.agreementId === 'string', `GET /app/v1/agreements answered HTTP ${listed.status}`);
    done('agreement bind', resultOf(bound.body), `agreement ${agreement.agreementId} (${(agreement.scopes as string[]).join(', ')})`);

    current = 'agreement pay';
    const charged = (await client.pay(agreementPayRequest(String(bound.body.accessToken), CUSTOMER_ID))) as { body: Json; signatureValid: boolean };
    check(charged.signatureValid && resultOf(charged.body) === 'S SUCCESS', `the Auto Debit pay answered ${resultOf(charged.body)}`);
    done('agreement pay', resultOf(charged.body), `${money(charged.body.paymentAmount)} -> ${money(charged.body.payToAmount)}, no user present`);

    current = 'unbind';
    const unbound = await unbindAgreement(wallet, CUSTOMER_ID, agreement.agreementId);
    check(unbound.status === 200 && unbound.body.unbindStatus === 'UNBOUND', `DELETE /app/v1/agreements answered HTTP ${unbound.status} ${JSON.stringify(unbound.body)}`);
    const told = sim.requests
      .list()
      .filter((r) => r.endpoint === 'consultUnbinding' || r.endpoint === 'authNotify')
      .map((r) => r.endpoint);
    check(told.join(',') === 'consultUnbinding,authNotify', `the simulator saw ${told.join(', ')}`);
    const refused = await client.pay(agreementPayRequest(String(bound.body.accessToken), CUSTOMER_ID));
    check(resultOf(refused.body) === 'F INVALID_TOKEN', `a charge after unbinding answered ${resultOf(refused.body)}`);
    done('unbind', `HTTP ${unbound.status} ${unbound.body.unbindStatus}`, 'consultUnbinding -> revoke -> authNotify TOKEN_CANCELED; the token no longer pays');

    current = 'final balance';
    const finalExpected = balance - BigInt(codePay.body.payToAmount.value) - BigInt(charged.body.payToAmount.value);
    const last = await getJson(transport, `/ops/v1/customers/${CUSTOMER_ID}`, ops.opsApiToken);
    const finalBalance = BigInt(last.body.customer?.balance?.value ?? -1);
    check(finalBalance === finalExpected, `balance is KRW ${finalBalance}, expected KRW ${finalExpected}`);
    done('final balance', `HTTP ${last.status}`, `KRW ${balance} - ${codePay.body.payToAmount.value} - ${charged.body.payToAmount.value} = KRW ${finalBalance}`);

    print('--- §8 userInitiatedPay: the app initiates an order code, Alipay+ never calls pay');
    // §8, 1. The merchant shows an order code the simulator (as Alipay+) issued: the seed's order.
    current = 'order code';
    const orderCode = issueOrderCode({ scenario: 'fx' });
    done('order code', 'issued', `${orderCode.slice(0, 48)}… (${orderCode.length} chars)`);

    // §8, 2. The app sends it to our server, which identifies it and calls userInitiatedPay.
    current = 'initiate';
    const initiated = (await initiatePayment({ transport, baseUrl, appJwtSecret }, CUSTOMER_ID, orderCode)) as { status: number; body: Json };
    check(initiated.status === 200 && typeof initiated.body.paymentUrl === 'string', `initiate answered HTTP ${initiated.status} ${JSON.stringify(initiated.body)}`);
    const call = sim.requests.list().find((r) => r.endpoint === 'userInitiatedPay' && (r.body as Json).codeValue === orderCode);
    check(call?.signatureValid, 'the simulator received no signed userInitiatedPay for the code');
    done('initiate', resultOf(initiated.body), `${money(initiated.body.paymentAmount)} -> ${money(initiated.body.payToAmount)}, cashier link`);

    // §8, 3. The user pays in our cashier, opened from the app.
    current = 'initiated cashier Pay';
    const initiatedCashier = await payInCashier(initiated.body.paymentUrl, jwt);
    check(
      initiatedCashier.confirmed.status === 303 || initiatedCashier.status === 'SUCCESS',
      `the cashier answered HTTP ${initiatedCashier.confirmed.status} (${initiatedCashier.status})`,
    );
    done('initiated cashier Pay', `HTTP ${initiatedCashier.confirmed.status}`, `payment ${initiatedCashier.status ?? 'SUCCESS'}`);

    // §8, 4. notifyPayment reaches the simulator (the configured base: the order named no paymentNotifyUrl).
    current = 'initiated notifyPayment';
    const initiatedNote = await sim.notifications.waitFor(
      (n) => (n.body as Json | undefined)?.paymentRequestId === initiated.body.paymentRequestId,
      o.notifyTimeoutMs ?? 30_000,
    );
    check(initiatedNote.signatureValid && initiatedNote.problems.length === 0, `the notification is not right: ${initiatedNote.problems.join('; ')}`);
    check(resultOf(initiatedNote.body as Json, 'paymentResult') === 'S SUCCESS', `notifyPayment said ${resultOf(initiatedNote.body as Json, 'paymentResult')}`);
    done('initiated notifyPayment', resultOf(initiatedNote.body as Json, 'paymentResult'), `paymentId ${initiated.body.paymentId}, signature ✓`);

    // §8, 5. The wallet reconciles: the user paid what the app's view of the payment says.
    current = 'initiated balance';
    const view = await getJson(transport, `/app/v1/payments/${initiated.body.paymentId}`, jwt);
    const debit = BigInt(view.body.payment?.debitAmount?.value ?? -1);
    const customerAfter = await getJson(transport, `/ops/v1/customers/${CUSTOMER_ID}`, ops.opsApiToken);
    const balanceAfter = BigInt(customerAfter.body.customer?.balance?.value ?? -1);
    check(balanceAfter === finalBalance - debit, `balance is KRW ${balanceAfter}, expected KRW ${finalBalance - debit}`);
    done('initiated balance', `HTTP ${customerAfter.status}`, `KRW ${finalBalance} - ${debit} = KRW ${balanceAfter}`);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    record(current, false, 'failed', reason);
  } finally {
    await server?.close().catch((err: unknown) => print(`closing the service failed: ${String(err)}`));
    await sim?.close().catch((err: unknown) => print(`closing the simulator failed: ${String(err)}`));
    rmSync(dataDir, { recursive: true, force: true });
  }

  const failed = steps.find((s) => !s.ok);
  const summary: DemoSummary = failed ? { ok: false, steps, failedStep: failed.step } : { ok: true, steps };
  print('');
  print(table(steps));
  print('');
  print(summary.ok ? 'demo: every step succeeded' : `demo: FAILED at "${summary.failedStep}"`);
  return summary;
}

async function main(): Promise<void> {
  const summary = await runDemo();
  process.exit(summary.ok ? 0 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
