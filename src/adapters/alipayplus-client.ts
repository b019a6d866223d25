/**
 * Our outbound calls to Alipay+ (§1, §5 notifyPayment, §6 inquiryCodeRules): each request is
 * signed with the MPP private key, sent with a timeout (5 s by default, §5 "5 s timeout each try")
 * through Node's fetch, and the answer's signature is verified with the Alipay+ public key before
 * anything in it is believed. The answer must also be fresh (issue 16): signed for the configured
 * Alipay+ Client-Id, with a Response-Time inside the signature window, so a recorded answer (the
 * same `{"result":{"resultStatus":"S"}}` for every notification) cannot be replayed later. The outcome is a typed value, never an exception: callers (the
 * notify dispatcher, the code-rule refresher) decide what to retry.
 */
import type { KeyObject } from 'node:crypto';
import type { ResultStatus } from '../domain/errors.ts';
import { isoWithOffset } from '../domain/time.ts';
import { parseSignatureHeader, sign, signatureHeader, signedUri, verify } from '../http/signature.ts';
import { parseRequestTime } from '../http/alipayplus/envelope.ts';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isInternalAddress, type OutboundUrlPolicy, outboundUrlProblem } from '../domain/outbound-url.ts';

export const NOTIFY_PAYMENT_PATH = '/aps/api/v1/payments/notifyPayment';
export const INQUIRY_CODE_RULES_PATH = '/aps/api/v1/codes/inquiryCodeRules';

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
}

class AnswerTooLarge extends Error {}

/** Reads at most `max` bytes of the body; the timeout signal keeps running while it reads. */
async function readBounded(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) throw new AnswerTooLarge(`answer of ${declared} bytes`);
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > max) throw new AnswerTooLarge(`answer above ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError'));
}

function asWireResult(v: unknown): WireResult | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.resultCode !== 'string' || (r.resultStatus !== 'S' && r.resultStatus !== 'F' && r.resultStatus !== 'U')) return undefined;
  return { resultCode: r.resultCode, resultStatus: r.resultStatus, resultMessage: typeof r.resultMessage === 'string' ? r.resultMessage : '' };
}

export function createAlipayPlusClient(o: AlipayPlusClientOptions): AlipayPlusClient {
  const timeoutMs = o.timeoutMs ?? 5000;
  const maxSkewMs = (o.maxSkewSeconds ?? 600) * 1000;
  const maxAnswerBytes = o.maxAnswerBytes ?? 4 * 1024 * 1024;
  const doFetch = o.fetch ?? fetch;

  /** §1: an answer counts only when signed by Alipay+ over `POST <uri>\n<client-id>.<response-time>.<body>`. */
  async function answerSignatureProblem(uri: string, res: Response, raw: Buffer): Promise<string | undefined> {
    const clientId = res.headers.get('client-id');
    const responseTime = res.headers.get('response-time');
    const parsed = parseSignatureHeader(res.headers.get('signature') ?? undefined);
    if (!clientId || !responseTime || !parsed) return 'missing client-id, response-time or signature';
    if (clientId !== o.clientId) return 'Client-Id of the answer is not the configured Alipay+ client';
    const answeredAt = parseRequestTime(responseTime);
    if (answeredAt === undefined) return 'Response-Time is malformed';
    if (Math.abs(o.now().getTime() - answeredAt) > maxSkewMs) return 'Response-Time is outside the accepted window';
    const keys = parsed.keyVersion === undefined ? [...o.alipayPlusPublicKeys.values()] : [o.alipayPlusPublicKeys.get(parsed.keyVersion)];
    const message = { method: 'POST', uri, clientId, time: responseTime, body: raw };
    for (const key of keys) {
      if (key && (await verify(message, parsed.signature, key))) return undefined;
    }
    return keys.some(Boolean) ? 'signature does not verify' : `unknown keyVersion ${parsed.keyVersion}`;
  }

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
    const uri = signedUri(target.href);
    const requestTime = isoWithOffset(o.now());
    const signature = await sign({ method: 'POST', uri, clientId: o.clientId, time: requestTime, body: rawBody }, o.mppPrivateKey);
    try {
      const res = await doFetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'client-id': o.clientId,
          'request-time': requestTime,
          signature: signatureHeader(o.mppKeyVersion, signature),
        },
        body: rawBody,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel().catch(() => undefined);
        return { kind: 'http-error', status: res.status };
      }
      const raw = await readBounded(res, maxAnswerBytes);
      const problem = await answerSignatureProblem(uri, res, raw);
      if (problem) return { kind: 'bad-signature', status: res.status, reason: problem };
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
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
  };
}
