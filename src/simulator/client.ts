/**
 * The simulator's signed client: calls the MPP's `/alipayplus/v1/*` routes as Alipay+ would
 * (§1: `Client-Id`, `Request-Time`, `Signature` over `POST <path>\n<Client-Id>.<Request-Time>.<body>`
 * with the Alipay+ private key) and verifies every answer with the MPP public key. It never
 * throws on a business failure: each call returns `{status, body, signatureValid}` so a person
 * (or a test) sees exactly what came back.
 */
import type { FastifyInstance } from 'fastify';
import { isoWithOffset } from '../http/alipayplus/envelope.ts';
import { parseSignatureHeader, sign, signatureHeader, verify } from '../alipayplus/signature.ts';
import { type Printer, silentPrinter } from './print.ts';
import type { SimulatorKeys } from './settings.ts';

export interface TransportRequest {
  readonly method: string;
  /** Path and query, e.g. `/alipayplus/v1/payments/pay`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/** How a request reaches the MPP: over HTTP (fetchTransport) or in-process (injectTransport). */
export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

export function fetchTransport(baseUrl: string, timeoutMs = 10_000): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  return async (req) => {
    const res = await fetch(`${base}${req.path}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
  };
}

/** Calls a Fastify app in-process (tests, the demo): same bytes, no socket. */
export function injectTransport(app: Pick<FastifyInstance, 'inject'>): Transport {
  return async (req) => {
    const res = await app.inject({
      method: req.method as 'GET',
      url: req.path,
      headers: req.headers,
      ...(req.body === undefined ? {} : { payload: req.body }),
    });
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v === undefined ? undefined : String(v);
    return { status: res.statusCode, headers, body: res.rawPayload };
  };
}

export interface CallResult<B = Record<string, unknown>> {
  readonly status: number;
  /** The parsed JSON answer (an empty object when the answer was not JSON: see `raw`). */
  readonly body: B;
  /** True only when the answer carries our Client-Id and an MPP signature over its exact bytes. */
  readonly signatureValid: boolean;
  readonly raw: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly elapsedMs: number;
}

export interface SimulatorClientOptions {
  readonly keys: SimulatorKeys;
  readonly clientId: string;
  readonly pspId: string;
  readonly acquirerId: string;
  /** `fetchTransport(baseUrl)` unless a transport is given. */
  readonly baseUrl?: string;
  readonly transport?: Transport;
  readonly printer?: Printer;
  /** Request-Time source; the MPP refuses a time outside its window (§1). */
  readonly now?: () => Date;
  /** Where the MPP mounts its Alipay+ routes. */
  readonly prefix?: string;
}

type Body = Record<string, unknown>;

/** A pay request as scenarios.ts builds it; pspId and acquirerId are filled in when absent. */
export type PayRequest = Body & { paymentRequestId: string };

export interface RefundRequest extends Body {
  refundRequestId: string;
  paymentRequestId: string;
  paymentId?: string;
  refundAmount: { currency: string; value: string };
  refundFromAmount: { currency: string; value: string };
  refundQuote?: { quoteId?: string; quoteCurrencyPair: string; quotePrice: string };
}

export type ApplyTokenGrant = { authCode: string } | { refreshToken: string };

export class SimulatorClient {
  private readonly transport: Transport;
  private readonly printer: Printer;
  private readonly now: () => Date;
  private readonly prefix: string;

  constructor(private readonly o: SimulatorClientOptions) {
    if (!o.transport && !o.baseUrl) throw new Error('SimulatorClient needs a baseUrl or a transport');
    this.transport = o.transport ?? fetchTransport(o.baseUrl!);
    this.printer = o.printer ?? silentPrinter;
    this.now = o.now ?? (() => new Date());
    this.prefix = o.prefix ?? '/alipayplus/v1';
  }

  /** Signs and POSTs `body` to `<prefix><route>`, then verifies the answer's signature. */
  async call<B = Body>(route: string, body: Body): Promise<CallResult<B>> {
    const path = `${this.prefix}${route}`;
    const raw = JSON.stringify(body);
    const requestTime = isoWithOffset(this.now());
    const value = await sign({ method: 'POST', uri: path, clientId: this.o.clientId, time: requestTime, body: raw }, this.o.keys.privateKey);
    const headers = {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': this.o.clientId,
      'request-time': requestTime,
      signature: signatureHeader(this.o.keys.keyVersion, value),
    };
    this.printer.request({ direction: 'out', method: 'POST', url: this.o.baseUrl ? `${this.o.baseUrl}${path}` : path, headers, body });
    const started = performance.now();
    const res = await this.transport({ method: 'POST', path, headers, body: raw });
    const elapsedMs = Math.round(performance.now() - started);
    const text = res.body.toString('utf8');
    const signatureValid = await this.answerSignatureValid(path, res);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = {};
    }
    this.printer.response({ direction: 'in', status: res.status, body: parsed, signatureValid, elapsedMs });
    return { status: res.status, body: parsed as B, signatureValid, raw: text, headers: res.headers, elapsedMs };
  }

  private async answerSignatureValid(path: string, res: TransportResponse): Promise<boolean> {
    const parsed = parseSignatureHeader(res.headers.signature);
    const clientId = res.headers['client-id'];
    const responseTime = res.headers['response-time'];
    if (!parsed || clientId !== this.o.clientId || !responseTime) return false;
    return verify({ method: 'POST', uri: path, clientId, time: responseTime, body: res.body }, parsed.signature, this.o.keys.mppPublicKey);
  }

  private ids(): { pspId: string; acquirerId: string } {
    return { pspId: this.o.pspId, acquirerId: this.o.acquirerId };
  }

  /** §3 applyToken with an auth code (AUTHORIZATION_CODE) or a refresh token (REFRESH_TOKEN). */
  applyToken(grant: ApplyTokenGrant, extra: Body = {}): Promise<CallResult> {
    const body =
      'authCode' in grant
        ? { ...this.ids(), grantType: 'AUTHORIZATION_CODE', authCode: grant.authCode, ...extra }
        : { ...this.ids(), grantType: 'REFRESH_TOKEN', refreshToken: grant.refreshToken, ...extra };
    return this.call('/authorizations/applyToken', body);
  }

  /** §3 cancelToken: revokes the access token and its refresh token. */
  cancelToken(accessToken: string): Promise<CallResult> {
    return this.call('/authorizations/cancelToken', { ...this.ids(), accessToken });
  }

  /** §3 inquiryUserInfo: the user behind an access token. */
  inquiryUserInfo(accessToken: string): Promise<CallResult> {
    return this.call('/users/inquiryUserInfo', { ...this.ids(), accessToken });
  }

  /** §4 pay. */
  pay(request: PayRequest): Promise<CallResult> {
    return this.call('/payments/pay', { ...this.ids(), ...request });
  }

  /** §5 inquiryPayment. */
  inquiryPayment(paymentRequestId: string): Promise<CallResult> {
    return this.call('/payments/inquiryPayment', { ...this.ids(), paymentRequestId });
  }

  /** §5 cancelPayment. */
  cancelPayment(paymentRequestId: string): Promise<CallResult> {
    return this.call('/payments/cancelPayment', { ...this.ids(), paymentRequestId });
  }

  /** §5 refund. */
  refund(request: RefundRequest): Promise<CallResult> {
    return this.call('/payments/refund', { ...this.ids(), ...request });
  }
}
