/**
 * THE signed client (§1): every signed request the service or the simulator sends goes through
 * signedClient: `Client-Id`, `Request-Time` and `Signature` over
 * `POST <path>\n<Client-Id>.<Request-Time>.<body>`, and the answer's signature checked with the
 * other side's public key before anything in it is believed.
 *
 * createAlipayPlusClient is the service's use of it (§5 notifyPayment, §6 inquiryCodeRules, §8
 * userInitiatedPay):
 * signed with the MPP private key, a timeout per try (5 s by default, §5 "5 s timeout each try"),
 * and a typed outcome, never an exception: callers (the notify dispatcher, the code-rule
 * refresher) decide what to retry. The simulator's client (src/simulator/client.ts) is the other.
 * The service's answers must also be fresh (issue 16): signed for the configured Alipay+ Client-Id,
 * with a Response-Time inside the signature window, so a recorded answer (the same
 * `{"result":{"resultStatus":"S"}}` for every notification) cannot be replayed later.
 */
import type { KeyObject } from 'node:crypto';
import type { ResultStatus } from '../domain/errors.ts';
import { parseSignatureHeader, sign, signatureHeader, signedUri, verify } from './signature.ts';
import { AnswerTooLarge, fetchTransport, isTimeout, type Transport, type TransportResponse } from './transport.ts';
import { isoWithOffset, parseRequestTime } from './wire-time.ts';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isInternalAddress, type OutboundUrlPolicy, outboundUrlProblem } from '../domain/outbound-url.ts';

export interface SignedClientOptions {
  readonly transport: Transport;
  readonly clientId: string;
  readonly privateKey: KeyObject;
  readonly keyVersion: string;
  /** Verifies answers: keyVersion -> key, or one key whatever keyVersion the answer names. */
  readonly answerKeys: ReadonlyMap<string, KeyObject> | KeyObject;
  /** When set, an answer counts only when it carries this Client-Id. */
  readonly answerClientId?: string | undefined;
  /** When set, an answer counts only when its Response-Time is this close to now (issue 16: fresh answers). */
  readonly answerMaxSkewMs?: number | undefined;
  readonly now: () => Date;
}

export interface SignedExchange {
  /** The headers sent (for the simulator's printout). */
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly response: TransportResponse;
  /** Why the answer is not provably from the other side; undefined when its signature verifies. */
  signatureProblem(): Promise<string | undefined>;
}

export interface SignedClient {
  /**
   * POSTs `rawBody` (sent and signed byte for byte) to `url` (absolute, or a path for the
   * transport's base). `onRequest` sees the headers before the request goes out.
   */
  post(url: string, rawBody: string, onRequest?: (headers: Readonly<Record<string, string>>) => void): Promise<SignedExchange>;
}

export function signedClient(o: SignedClientOptions): SignedClient {
  /** §1: an answer counts only when signed over `POST <uri>\n<client-id>.<response-time>.<body>`. */
  async function answerSignatureProblem(uri: string, res: TransportResponse): Promise<string | undefined> {
    const clientId = res.headers['client-id'];
    const responseTime = res.headers['response-time'];
    const parsed = parseSignatureHeader(res.headers.signature);
    if (!clientId || !responseTime || !parsed) return 'missing client-id, response-time or signature';
    if (o.answerClientId !== undefined && clientId !== o.answerClientId) return `answer for client-id ${clientId} (Client-Id is not the configured one)`;
    if (o.answerMaxSkewMs !== undefined) {
      const answeredAt = parseRequestTime(responseTime);
      if (answeredAt === undefined) return 'Response-Time is malformed';
      if (Math.abs(o.now().getTime() - answeredAt) > o.answerMaxSkewMs) return 'Response-Time is outside the accepted window';
    }
    const keys = !(o.answerKeys instanceof Map)
      ? [o.answerKeys as KeyObject]
      : parsed.keyVersion === undefined
        ? [...o.answerKeys.values()]
        : [o.answerKeys.get(parsed.keyVersion)];
    const message = { method: 'POST', uri, clientId, time: responseTime, body: res.body };
    for (const key of keys) {
      if (key && (await verify(message, parsed.signature, key))) return undefined;
    }
    return keys.some(Boolean) ? 'signature does not verify' : `unknown keyVersion ${parsed.keyVersion}`;
  }

  return {
    async post(url, rawBody, onRequest) {
      const uri = signedUri(url);
      const requestTime = isoWithOffset(o.now());
      const signature = await sign({ method: 'POST', uri, clientId: o.clientId, time: requestTime, body: rawBody }, o.privateKey);
      const requestHeaders = {
        'content-type': 'application/json; charset=UTF-8',
        'client-id': o.clientId,
        'request-time': requestTime,
        signature: signatureHeader(o.keyVersion, signature),
      };
      onRequest?.(requestHeaders);
      const response = await o.transport({ method: 'POST', url, headers: requestHeaders, body: rawBody });
      return { requestHeaders, response, signatureProblem: () => answerSignatureProblem(uri, response) };
    },
  };
}

export const NOTIFY_PAYMENT_PATH = '/aps/api/v1/payments/notifyPayment';
export const INQUIRY_CODE_RULES_PATH = '/aps/api/v1/codes/inquiryCodeRules';
export const USER_INITIATED_PAY_PATH = '/aps/api/v1/payments/userInitiatedPay';
export const GET_PAYMENT_CODE_PATH = '/aps/api/v1/codes/getPaymentCode';
export const CONSULT_UNBINDING_PATH = '/aps/api/v1/authorizations/consultUnbinding';
export const AUTH_NOTIFY_PATH = '/aps/api/v1/authorizations/authNotify';

/** The `result` of an Alipay+ answer, as received (the code may be one we do not know). */
export interface WireResult {
  readonly resultCode: string;
  readonly resultStatus: ResultStatus;
  readonly resultMessage: string;
}

export type AlipayPlusCallResult =
  /** HTTP 2xx, a valid Alipay+ signature and a `result`: the only outcome whose content counts. */
  | { readonly kind: 'answered'; readonly status: number; readonly body: Readonly<Record<string, unknown>>; readonly result: WireResult }
  /** The answer is not provably from Alipay+ (missing or wrong signature, unknown keyVersion). */
  | { readonly kind: 'bad-signature'; readonly status: number; readonly reason: string }
  /** Signed, but not a JSON object with a `result`. */
  | { readonly kind: 'malformed-answer'; readonly status: number; readonly reason: string }
  | { readonly kind: 'http-error'; readonly status: number }
  | { readonly kind: 'network-error'; readonly error: Error }
  | { readonly kind: 'timeout' }
  /** No URL: neither the call's own nor ALIPAYPLUS_BASE_URL (the call stays queued). */
  | { readonly kind: 'not-configured' }
  /** The call's own URL (paymentNotifyUrl) is refused by the outbound URL policy: nothing was sent. */
  | { readonly kind: 'refused-url'; readonly reason: string };

export interface AlipayPlusClientOptions {
  /** ALIPAYPLUS_BASE_URL without a trailing slash; unset means outbound calls wait. */
  readonly baseUrl: string | undefined;
  readonly clientId: string;
  readonly mppPrivateKey: KeyObject;
  readonly mppKeyVersion: string;
  /** keyVersion -> Alipay+ public key, verifying the answers. */
  readonly alipayPlusPublicKeys: ReadonlyMap<string, KeyObject>;
  readonly now: () => Date;
  /**
   * Issue 16: the policy a paymentNotifyUrl must pass, checked again at send time (the payment was
   * accepted under it, but the configuration or the name's DNS may have changed since). Absent: none.
   */
  readonly notifyUrlPolicy?: OutboundUrlPolicy;
  /** Resolves a host name to its addresses (tests inject one). Default: node:dns lookup, all addresses. */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  /** Accepted distance between an answer's Response-Time and now (SIGNATURE_MAX_SKEW_SECONDS). Default 600. */
  readonly maxSkewSeconds?: number;
  /** Per try, covering connect, send and reading the answer. Default 5000. */
  readonly timeoutMs?: number;
  /** Bigger answers are refused (the code-rule set is the largest we expect). Default 4 MiB. */
  readonly maxAnswerBytes?: number;
  readonly fetch?: typeof fetch;
}

export interface AlipayPlusClient {
  /** True when ALIPAYPLUS_BASE_URL is set: calls without a URL of their own can go out. */
  readonly configured: boolean;
  /** POSTs `rawBody` (sent and signed byte for byte) to `url`, an absolute URL. */
  post(url: string, rawBody: string): Promise<AlipayPlusCallResult>;
  /** §5 notifyPayment, to the payment's paymentNotifyUrl when given, else `{base}/aps/api/v1/payments/notifyPayment`. */
  notifyPayment(rawBody: string, paymentNotifyUrl?: string | null): Promise<AlipayPlusCallResult>;
  /** §6 inquiryCodeRules at `{base}/aps/api/v1/codes/inquiryCodeRules`. */
  inquiryCodeRules(body?: Readonly<Record<string, unknown>>): Promise<AlipayPlusCallResult>;
  /** A signed call to `{base}{path}` (§9 getPaymentCode, §10 consultUnbinding and authNotify); not-configured without a base. */
  call(path: string, body: Readonly<Record<string, unknown>>): Promise<AlipayPlusCallResult>;
}

function asWireResult(v: unknown): WireResult | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.resultCode !== 'string' || (r.resultStatus !== 'S' && r.resultStatus !== 'F' && r.resultStatus !== 'U')) return undefined;
  return { resultCode: r.resultCode, resultStatus: r.resultStatus, resultMessage: typeof r.resultMessage === 'string' ? r.resultMessage : '' };
}

export function createAlipayPlusClient(o: AlipayPlusClientOptions): AlipayPlusClient {
  const client = signedClient({
    transport: fetchTransport({ timeoutMs: o.timeoutMs ?? 5000, maxAnswerBytes: o.maxAnswerBytes ?? 4 * 1024 * 1024, fetch: o.fetch }),
    clientId: o.clientId,
    privateKey: o.mppPrivateKey,
    keyVersion: o.mppKeyVersion,
    answerKeys: o.alipayPlusPublicKeys,
    answerClientId: o.clientId,
    answerMaxSkewMs: (o.maxSkewSeconds ?? 600) * 1000,
    now: o.now,
  });

  async function post(url: string, rawBody: string): Promise<AlipayPlusCallResult> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { kind: 'network-error', error: new Error('not an absolute URL') };
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return { kind: 'network-error', error: new Error(`unsupported scheme ${target.protocol}`) };
    }
    try {
      const exchange = await client.post(target.href, rawBody);
      const res = exchange.response;
      if (res.status < 200 || res.status > 299) return { kind: 'http-error', status: res.status };
      const problem = await exchange.signatureProblem();
      if (problem) return { kind: 'bad-signature', status: res.status, reason: problem };
      let body: unknown;
      try {
        body = JSON.parse(res.body.toString('utf8'));
      } catch {
        return { kind: 'malformed-answer', status: res.status, reason: 'not JSON' };
      }
      const result = typeof body === 'object' && body !== null ? asWireResult((body as Record<string, unknown>).result) : undefined;
      if (!result) return { kind: 'malformed-answer', status: res.status, reason: 'no valid result' };
      return { kind: 'answered', status: res.status, body: body as Record<string, unknown>, result };
    } catch (err) {
      if (isTimeout(err)) return { kind: 'timeout' };
      if (err instanceof AnswerTooLarge) return { kind: 'malformed-answer', status: 200, reason: err.message };
      return { kind: 'network-error', error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  const resolve = o.resolve ?? (async (host: string) => (await lookup(host, { all: true })).map((a) => a.address));

  /** The policy's verdict on a paymentNotifyUrl, its host's resolved addresses included. */
  async function notifyUrlRefusal(url: string): Promise<string | undefined> {
    const policy = o.notifyUrlPolicy;
    if (!policy) return undefined;
    const problem = outboundUrlProblem(url, policy);
    if (problem || policy.allowPrivateAddresses) return problem;
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return undefined;
    try {
      const addresses = await resolve(host);
      return addresses.some(isInternalAddress) ? `${host} resolves to an internal address` : undefined;
    } catch {
      return undefined; // not resolvable now: the send fails as a network error and is retried
    }
  }

  return {
    configured: o.baseUrl !== undefined,
    post,
    async notifyPayment(rawBody, paymentNotifyUrl) {
      if (paymentNotifyUrl) {
        const refused = await notifyUrlRefusal(paymentNotifyUrl);
        if (refused) return { kind: 'refused-url', reason: `paymentNotifyUrl ${refused}` };
      }
      const url = paymentNotifyUrl ?? (o.baseUrl === undefined ? undefined : `${o.baseUrl}${NOTIFY_PAYMENT_PATH}`);
      return url === undefined ? { kind: 'not-configured' } : post(url, rawBody);
    },
    inquiryCodeRules(body = {}) {
      if (o.baseUrl === undefined) return Promise.resolve({ kind: 'not-configured' });
      return post(`${o.baseUrl}${INQUIRY_CODE_RULES_PATH}`, JSON.stringify(body));
    },
    call(path, body) {
      if (o.baseUrl === undefined) return Promise.resolve({ kind: 'not-configured' });
      return post(`${o.baseUrl}${path}`, JSON.stringify(body));
    },
  };
}
