/**
 * The simulator's signed client: calls the MPP's `/alipayplus/v1/*` routes as Alipay+ would
 * (§1: `Client-Id`, `Request-Time`, `Signature` over `POST <path>\n<Client-Id>.<Request-Time>.<body>`
 * with the Alipay+ private key) and verifies every answer with the MPP public key. It never
 * throws on a business failure: each call returns `{status, body, signatureValid}` so a person
 * (or a test) sees exactly what came back.
 */
import type { FastifyInstance } from 'fastify';
import { type SignedClient, signedClient } from '../alipayplus/client.ts';
import { fetchTransport as alipayPlusFetchTransport, type Transport, type TransportResponse } from '../alipayplus/transport.ts';
import { type Printer, silentPrinter } from './print.ts';
import type { SimulatorKeys } from './settings.ts';

export type { Transport };

/** Over HTTP to the MPP at `baseUrl` (10 s per call). */
export function fetchTransport(baseUrl: string, timeoutMs = 10_000): Transport {
  return alipayPlusFetchTransport({ baseUrl, timeoutMs });
}

/** Calls a Fastify app in-process (tests, the demo): same bytes, no socket. */
export function injectTransport(app: Pick<FastifyInstance, 'inject'>): Transport {
  return async (req): Promise<TransportResponse> => {
    const res = await app.inject({
      method: req.method as 'GET',
      url: req.url,
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
  private readonly client: SignedClient;
  private readonly printer: Printer;
  private readonly prefix: string;

  constructor(private readonly o: SimulatorClientOptions) {
    if (!o.transport && !o.baseUrl) throw new Error('SimulatorClient needs a baseUrl or a transport');
    // The one signed client, with the Alipay+ key; answers must be signed by the MPP for our Client-Id.
    this.client = signedClient({
      transport: o.transport ?? fetchTransport(o.baseUrl!),
      clientId: o.clientId,
      privateKey: o.keys.privateKey,
      keyVersion: o.keys.keyVersion,
      answerKeys: o.keys.mppPublicKey,
      answerClientId: o.clientId,
      now: o.now ?? (() => new Date()),
    });
    this.printer = o.printer ?? silentPrinter;
    this.prefix = o.prefix ?? '/alipayplus/v1';
  }

  /** Signs and POSTs `body` to `<prefix><route>`, then verifies the answer's signature. */
  async call<B = Body>(route: string, body: Body): Promise<CallResult<B>> {
    const path = `${this.prefix}${route}`;
    const raw = JSON.stringify(body);
    let started = 0;
    const exchange = await this.client.post(path, raw, (headers) => {
      this.printer.request({ direction: 'out', method: 'POST', url: this.o.baseUrl ? `${this.o.baseUrl}${path}` : path, headers, body });
      started = performance.now();
    });
    const res = exchange.response;
    const elapsedMs = Math.round(performance.now() - started);
    const text = res.body.toString('utf8');
    const signatureValid = (await exchange.signatureProblem()) === undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = {};
    }
    this.printer.response({ direction: 'in', status: res.status, body: parsed, signatureValid, elapsedMs });
    return { status: res.status, body: parsed as B, signatureValid, raw: text, headers: res.headers, elapsedMs };
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
