/**
 * The Alipay+ side of the sandbox: a small Fastify app that answers the calls the MPP makes
 * to Alipay+ (service-interface.md, "MPP -> Alipay+"):
 *
 *   POST /aps/api/v1/codes/getPaymentCode             -> signed paymentCodeInfoList (§9), codes remembered
 *   POST /aps/api/v1/authorizations/consultUnbinding  -> signed `{result, allowUnbinding}` (§10)
 *   POST /aps/api/v1/authorizations/authNotify        -> signed `{result S SUCCESS}` (§10)
 *
 *   POST /aps/api/v1/codes/inquiryCodeRules   -> signed `{result S SUCCESS, version, codeRules}` (§6)
 *   POST /aps/api/v1/payments/notifyPayment   -> records the notification, signed `{result S SUCCESS}` (§5)
 *   POST /aps/api/v1/payments/userInitiatedPay -> decodes an order code it issued (order-codes.ts) into
 *        the order with its quote (§8); idempotent on codeValue, F REPEAT_REQ_INCONSISTENT for
 *        another customer, F INVALID_CODE / EXPIRED_CODE for a code it cannot use
 *   GET  /api/open/common_form_data/extensions/identify/code.htm -> remote identification, unsigned (identify.ts)
 *
 * Both verify the MPP's signature with the MPP public key and sign their answers with the
 * Alipay+ private key (§1), exactly as the MPP does in the other direction. Switches make the
 * next N answers fail (F, U, HTTP 500, or a bad signature) or arrive late, so at-least-once
 * delivery and the rule refresher's fallbacks can be watched working.
 *
 * Control routes (plain JSON, for people and tests): GET/DELETE /simulator/notifications,
 * GET /simulator/requests, GET/POST/DELETE /simulator/switches, POST /simulator/codeRules.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import { checkEnvelope } from '../http/alipayplus/envelope.ts';
import { isoWithOffset, parseRequestTime } from '../alipayplus/wire-time.ts';
import { sign, signatureHeader } from '../alipayplus/signature.ts';
import { decodeOrderCode } from './order-codes.ts';
import { REMOTE_IDENTIFY_PATH, remoteIdentifyAnswer } from './identify.ts';
import { type Printer, silentPrinter } from './print.ts';
import type { SimulatorKeys } from './settings.ts';

export const SIMULATED_ENDPOINTS = ['notifyPayment', 'inquiryCodeRules', 'getPaymentCode', 'consultUnbinding', 'authNotify', 'userInitiatedPay'] as const;
export type SimulatedEndpoint = (typeof SIMULATED_ENDPOINTS)[number];
export const FAIL_MODES = ['F', 'U', 'HTTP_500', 'BAD_SIGNATURE'] as const;
export type FailMode = (typeof FAIL_MODES)[number];

const PATHS: Readonly<Record<SimulatedEndpoint, string>> = {
  notifyPayment: '/aps/api/v1/payments/notifyPayment',
  inquiryCodeRules: '/aps/api/v1/codes/inquiryCodeRules',
  getPaymentCode: '/aps/api/v1/codes/getPaymentCode',
  consultUnbinding: '/aps/api/v1/authorizations/consultUnbinding',
  authNotify: '/aps/api/v1/authorizations/authNotify',
  userInitiatedPay: '/aps/api/v1/payments/userInitiatedPay',
};

export interface SwitchState {
  /** How many of the next answers fail, and how. */
  readonly failNext: number;
  readonly failMode: FailMode;
  /** Added before every answer (a slow Alipay+; the MPP's 5 s timeout is then visible). */
  readonly delayMs: number;
}

const NO_SWITCH: SwitchState = { failNext: 0, failMode: 'U', delayMs: 0 };

/** Per-endpoint failure and delay switches; `take` consumes one armed failure. */
export class Switches {
  private state = new Map<SimulatedEndpoint, SwitchState>();

  get(endpoint: SimulatedEndpoint): SwitchState {
    return this.state.get(endpoint) ?? NO_SWITCH;
  }

  set(endpoint: SimulatedEndpoint, change: Partial<SwitchState>): SwitchState {
    const next = { ...this.get(endpoint), ...change };
    if (!Number.isInteger(next.failNext) || next.failNext < 0) throw new Error('failNext must be a whole number >= 0');
    if (!FAIL_MODES.includes(next.failMode)) throw new Error(`failMode must be one of ${FAIL_MODES.join(', ')}`);
    if (!Number.isInteger(next.delayMs) || next.delayMs < 0 || next.delayMs > 120_000) throw new Error('delayMs must be 0..120000');
    this.state.set(endpoint, next);
    return next;
  }

  /** The next `n` answers of `endpoint` fail with `mode`. */
  failNext(endpoint: SimulatedEndpoint, n: number, mode: FailMode = 'U'): SwitchState {
    return this.set(endpoint, { failNext: n, failMode: mode });
  }

  delay(endpoint: SimulatedEndpoint, ms: number): SwitchState {
    return this.set(endpoint, { delayMs: ms });
  }

  reset(endpoint?: SimulatedEndpoint): void {
    if (endpoint) this.state.delete(endpoint);
    else this.state.clear();
  }

  snapshot(): Record<SimulatedEndpoint, SwitchState> {
    return Object.fromEntries(SIMULATED_ENDPOINTS.map((e) => [e, this.get(e)])) as Record<SimulatedEndpoint, SwitchState>;
  }

  /** What to do for one answer now: the delay, and a failure when one is armed (consumed). */
  take(endpoint: SimulatedEndpoint): { delayMs: number; fail?: FailMode } {
    const s = this.get(endpoint);
    if (s.failNext <= 0) return { delayMs: s.delayMs };
    this.state.set(endpoint, { ...s, failNext: s.failNext - 1 });
    return { delayMs: s.delayMs, fail: s.failMode };
  }
}

export interface ReceivedRequest {
  readonly endpoint: SimulatedEndpoint;
  readonly receivedAt: string;
  readonly clientId: string | undefined;
  readonly requestTime: string | undefined;
  readonly signatureValid: boolean;
  /** The parsed body (undefined when it was not JSON). */
  readonly body: unknown;
  /** What is wrong with the message, per the contract (empty when nothing). */
  readonly problems: readonly string[];
  readonly answer: { readonly httpStatus: number; readonly resultStatus?: string; readonly resultCode?: string; readonly forced?: FailMode };
}

/** What the simulator received; notifications are the notifyPayment part of it. */
export class ReceivedLog {
  private readonly items: ReceivedRequest[] = [];
  private readonly waiters = new Set<{ match: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }>();

  constructor(private readonly endpoint?: SimulatedEndpoint) {}

  add(r: ReceivedRequest): void {
    if (this.endpoint && r.endpoint !== this.endpoint) return;
    this.items.push(r);
    for (const w of this.waiters) {
      if (w.match(r)) {
        this.waiters.delete(w);
        w.resolve(r);
      }
    }
  }

  list(): readonly ReceivedRequest[] {
    return [...this.items];
  }

  clear(): void {
    this.items.length = 0;
  }

  /** Resolves with the first entry (already received or still to come) that matches. */
  waitFor(match: (r: ReceivedRequest) => boolean = () => true, timeoutMs = 10_000): Promise<ReceivedRequest> {
    const seen = this.items.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (r: ReceivedRequest) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching ${this.endpoint ?? 'request'} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

export interface CodeRulesAnswer {
  readonly version: string;
  readonly codeRules: readonly unknown[];
}

/** The preset rule set shipped with the service (src/adapters/code-rules-preset.json). */
export function presetCodeRules(): CodeRulesAnswer {
  const preset = JSON.parse(readFileSync(new URL('../adapters/code-rules-preset.json', import.meta.url), 'utf8')) as CodeRulesAnswer;
  return { version: preset.version, codeRules: preset.codeRules };
}

export interface SimulatorOptions {
  readonly keys: SimulatorKeys;
  /** The Client-Id on Alipay+ traffic (ALIPAYPLUS_CLIENT_ID). */
  readonly clientId: string;
  readonly port?: number;
  readonly host?: string;
  readonly printer?: Printer;
  readonly codeRules?: CodeRulesAnswer;
  /** Accepted distance between the MPP's Request-Time and now (default 600 s, as the MPP's own). */
  readonly maxSkewSeconds?: number;
  /** The keyVersion the MPP signs with (MPP_KEY_VERSION, default 1); another is F KEY_NOT_FOUND. */
  readonly mppKeyVersion?: string;
  readonly now?: () => Date;
  /** The MPP's pspId and the acquirer, as userInitiatedPay's orders name them. */
  readonly pspId?: string;
  readonly acquirerId?: string;
  /** Initial switches (e.g. from the CLI flags). */
  readonly switches?: Partial<Record<SimulatedEndpoint, Partial<SwitchState>>>;
}

export interface RunningSimulator {
  readonly url: string;
  readonly notifications: ReceivedLog;
  /** Every request received, both endpoints. */
  readonly requests: ReceivedLog;
  readonly switches: Switches;
  setCodeRules(rules: CodeRulesAnswer): void;
  /** §9 the payment codes it issued (getPaymentCode), code -> customerId, as a merchant's scanner would read them. */
  readonly paymentCodes: ReadonlyMap<string, string>;
  /** §10 whether consultUnbinding allows unbinding (default true). */
  setAllowUnbinding(allow: boolean): void;
  close(): Promise<void>;
}

const ok = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } as const;
const failure = (resultStatus: 'F' | 'U', resultCode: string, resultMessage: string) => ({ resultCode, resultStatus, resultMessage });

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function amountProblems(v: unknown, field: string): string[] {
  if (typeof v !== 'object' || v === null) return [`${field} is missing`];
  const a = v as Record<string, unknown>;
  const problems: string[] = [];
  if (!isString(a.currency) || !/^[A-Z]{3}$/.test(a.currency)) problems.push(`${field}.currency is not an ISO 4217 code string`);
  if (!isString(a.value) || !/^\d+$/.test(a.value)) problems.push(`${field}.value is not a string of digits`);
  return problems;
}

/** Every scalar a string (§1); `""` never sent for an optional field. */
function scalarProblems(v: unknown, path: string): string[] {
  if (Array.isArray(v)) return v.flatMap((item, i) => scalarProblems(item, `${path}[${i}]`));
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, c]) => scalarProblems(c, path ? `${path}.${k}` : k));
  if (v === null) return [];
  if (typeof v !== 'string') return [`${path} is a ${typeof v}, not a string`];
  if (v === '') return [`${path} is "" (omit an optional field instead)`];
  return [];
}

/** §5 notifyPayment: what a notification must hold. */
export function notificationProblems(body: Record<string, unknown>): string[] {
  const problems = scalarProblems(body, '');
  const r = body.paymentResult as Record<string, unknown> | undefined;
  if (typeof r !== 'object' || r === null) problems.push('paymentResult is missing');
  else {
    if (!isString(r.resultCode)) problems.push('paymentResult.resultCode is missing');
    if (r.resultStatus !== 'S' && r.resultStatus !== 'F') problems.push('paymentResult.resultStatus must be S or F (never U: only final states are notified)');
    if (!isString(r.resultMessage)) problems.push('paymentResult.resultMessage is missing');
  }
  for (const f of ['paymentRequestId', 'paymentId', 'customerId'] as const) if (!isString(body[f])) problems.push(`${f} is missing`);
  if (r?.resultStatus === 'S' && !isString(body.paymentTime)) problems.push('paymentTime is missing on a successful payment');
  if (isString(body.paymentTime) && parseRequestTime(body.paymentTime) === undefined) problems.push('paymentTime is not ISO 8601 with an offset');
  problems.push(...amountProblems(body.paymentAmount, 'paymentAmount'), ...amountProblems(body.payToAmount, 'payToAmount'));
  return problems;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export async function startSimulator(o: SimulatorOptions): Promise<RunningSimulator> {
  const printer = o.printer ?? silentPrinter;
  const now = o.now ?? (() => new Date());
  const switches = new Switches();
  for (const [endpoint, s] of Object.entries(o.switches ?? {})) switches.set(endpoint as SimulatedEndpoint, s);
  const requests = new ReceivedLog();
  const notifications = new ReceivedLog('notifyPayment');
  let codeRules = o.codeRules ?? presetCodeRules();
  const paymentCodes = new Map<string, string>();
  let allowUnbinding = true;
  /** §9 getPaymentCode: codeQuantity fresh codes for the customer, each valid one minute. */
  const issueCodes = (b: Record<string, unknown>) => {
    const n = Math.min(10, Math.max(1, Number(b.codeQuantity ?? '1') || 1));
    const start = now();
    return Array.from({ length: n }, () => {
      const paymentCode = `2815${BigInt(`0x${randomBytes(8).toString('hex')}`)
        .toString()
        .padStart(20, '0')
        .slice(0, 20)}`;
      paymentCodes.set(paymentCode, String(b.customerId));
      return { paymentCode, codeValidityStartTime: isoWithOffset(start), codeExpiryTime: isoWithOffset(new Date(start.getTime() + 60_000)) };
    });
  };
  // §8: one order per code value (Alipay+ is idempotent on it), bound to the first customer.
  const decoded = new Map<string, { customerId: string; order: Record<string, unknown> }>();
  let selfUrl = '';
  function userInitiatedPayAnswer(body: Record<string, unknown>) {
    const { codeValue, customerId } = body;
    if (typeof codeValue !== 'string' || codeValue === '' || codeValue.length > 512)
      return { result: failure('F', 'PARAM_ILLEGAL', 'codeValue must be 1 to 512 characters') };
    if (typeof customerId !== 'string' || customerId === '') return { result: failure('F', 'PARAM_ILLEGAL', 'customerId is missing') };
    const seen = decoded.get(codeValue);
    if (seen && seen.customerId !== customerId) return { result: failure('F', 'REPEAT_REQ_INCONSISTENT', 'the code was used by another customer') };
    if (seen) return { result: ok, ...seen.order };
    const outcome = decodeOrderCode(codeValue, customerId, {
      pspId: o.pspId ?? '1022088000000000001',
      acquirerId: o.acquirerId ?? '2052666000000000',
      now: now(),
      notifyPaymentUrl: `${selfUrl}${PATHS.notifyPayment}`,
    });
    if (!outcome.ok) return { result: failure('F', outcome.resultCode, outcome.resultMessage) };
    decoded.set(codeValue, { customerId, order: outcome.order });
    return { result: ok, ...outcome.order };
  }
  const record = (r: ReceivedRequest) => {
    requests.add(r);
    notifications.add(r);
  };

  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });

  /** Signs and sends an answer as Alipay+ (§1: Response-Time in place of Request-Time). */
  async function answer(req: FastifyRequest, reply: FastifyReply, body: object, badSignature = false): Promise<FastifyReply> {
    const raw = JSON.stringify(body);
    const responseTime = isoWithOffset(now());
    // A bad signature is a real signature over other bytes: it parses, it just does not verify.
    const signed = badSignature ? `${raw} ` : raw;
    const value = await sign({ method: 'POST', uri: req.url, clientId: o.clientId, time: responseTime, body: signed }, o.keys.privateKey);
    return reply
      .code(200)
      .header('content-type', 'application/json; charset=UTF-8')
      .header('client-id', o.clientId)
      .header('response-time', responseTime)
      .header('signature', signatureHeader(o.keys.keyVersion, value))
      .send(raw);
  }

  const peer = {
    clientId: o.clientId,
    // The simulator's peer is the MPP: the MPP's key verifies the requests it receives.
    alipayPlusPublicKeys: new Map([[o.mppKeyVersion ?? '1', o.keys.mppPublicKey]]),
    maxSkewSeconds: o.maxSkewSeconds ?? 600,
    now,
  };

  /** §1 checks on a request from the MPP: the MPP's own checkEnvelope; undefined when it passes. */
  async function envelopeFailure(req: FastifyRequest, raw: Buffer): Promise<{ code: string; message: string } | undefined> {
    req.rawBody = raw;
    try {
      await checkEnvelope(req, peer);
      return undefined;
    } catch (err) {
      if (err instanceof DomainError) return { code: err.code, message: err.message };
      throw err;
    }
  }

  async function handle(endpoint: SimulatedEndpoint, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const envelope = await envelopeFailure(req, raw);
    const headers = { 'client-id': header(req, 'client-id'), 'request-time': header(req, 'request-time'), signature: header(req, 'signature') };
    printer.request({ direction: 'in', method: 'POST', url: req.url, headers, body, signatureValid: !envelope });

    const problems: string[] = [];
    if (typeof body !== 'object' || body === null || Array.isArray(body)) problems.push('body is not a JSON object');
    else if (endpoint === 'notifyPayment') problems.push(...notificationProblems(body as Record<string, unknown>));
    else if (endpoint === 'getPaymentCode' && !isString((body as Record<string, unknown>).customerId)) problems.push('customerId is missing');
    else if ((endpoint === 'consultUnbinding' || endpoint === 'authNotify') && !isString((body as Record<string, unknown>).accessToken))
      problems.push('accessToken is missing');

    // A switch spends its failures on requests that would otherwise succeed.
    const { delayMs, fail } = envelope || problems.length > 0 ? { delayMs: switches.get(endpoint).delayMs, fail: undefined } : switches.take(endpoint);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));

    let answerBody: { result: { resultCode: string; resultStatus: string; resultMessage: string } } & Record<string, unknown>;
    if (envelope) answerBody = { result: failure('F', envelope.code, envelope.message) };
    else if (problems.length > 0) answerBody = { result: failure('F', 'PARAM_ILLEGAL', problems[0]!) };
    else if (fail === 'F') answerBody = { result: failure('F', 'PROCESS_FAIL', 'simulated failure') };
    else if (fail === 'U') answerBody = { result: failure('U', 'UNKNOWN_EXCEPTION', 'simulated unknown exception') };
    else if (endpoint === 'inquiryCodeRules') answerBody = { result: ok, version: codeRules.version, codeRules: codeRules.codeRules };
    else if (endpoint === 'getPaymentCode') answerBody = { result: ok, paymentCodeInfoList: issueCodes(body as Record<string, unknown>) };
    else if (endpoint === 'consultUnbinding') answerBody = { result: ok, allowUnbinding: allowUnbinding ? 'true' : 'false' };
    else if (endpoint === 'userInitiatedPay') answerBody = userInitiatedPayAnswer(body as Record<string, unknown>);
    else answerBody = { result: ok };

    const httpStatus = fail === 'HTTP_500' ? 500 : 200;
    record({
      endpoint,
      receivedAt: isoWithOffset(now()),
      clientId: headers['client-id'],
      requestTime: headers['request-time'],
      signatureValid: !envelope,
      body,
      problems: envelope ? [envelope.message, ...problems] : problems,
      answer: {
        httpStatus,
        ...(httpStatus === 200 ? { resultStatus: answerBody.result.resultStatus, resultCode: answerBody.result.resultCode } : {}),
        ...(fail ? { forced: fail } : {}),
      },
    });
    if (httpStatus === 500) {
      printer.response({ direction: 'out', status: 500, body: { error: 'simulated HTTP 500' }, forced: fail });
      return reply.code(500).send({ error: 'simulated HTTP 500' });
    }
    const bad = fail === 'BAD_SIGNATURE';
    printer.response({ direction: 'out', status: 200, body: answerBody, signatureValid: !bad, ...(fail ? { forced: fail } : {}) });
    return answer(req, reply, answerBody, bad);
  }

  await app.register(async (aps) => {
    // The signature covers the raw bytes: keep them whatever the declared content type.
    aps.removeAllContentTypeParsers();
    aps.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, b, done) => done(null, b));
    for (const endpoint of SIMULATED_ENDPOINTS) aps.post(PATHS[endpoint], (req, reply) => handle(endpoint, req, reply));
  });

  // Fact 12 remote identification: unsigned GET, answered from this simulator's rule set.
  app.get(REMOTE_IDENTIFY_PATH, async (req) => {
    const q = req.query as Record<string, string | undefined>;
    return remoteIdentifyAnswer(codeRules, o.clientId, q.codeValue ?? '');
  });
  app.get('/simulator/notifications', async () => ({ notifications: notifications.list() }));
  app.delete('/simulator/notifications', async () => {
    notifications.clear();
    return { notifications: [] };
  });
  app.get('/simulator/requests', async () => ({ requests: requests.list() }));
  app.get('/simulator/switches', async () => switches.snapshot());
  app.delete('/simulator/switches', async () => {
    switches.reset();
    return switches.snapshot();
  });
  app.post('/simulator/switches', async (req, reply) => {
    const b = (req.body ?? {}) as { endpoint?: string } & Partial<SwitchState>;
    const endpoint = (b.endpoint ?? 'notifyPayment') as SimulatedEndpoint;
    if (!SIMULATED_ENDPOINTS.includes(endpoint)) return reply.code(400).send({ error: `endpoint must be one of ${SIMULATED_ENDPOINTS.join(', ')}` });
    try {
      const change: Partial<SwitchState> = {
        ...(b.failNext !== undefined ? { failNext: Number(b.failNext) } : {}),
        ...(b.failMode !== undefined ? { failMode: b.failMode } : {}),
        ...(b.delayMs !== undefined ? { delayMs: Number(b.delayMs) } : {}),
      };
      return { [endpoint]: switches.set(endpoint, change) };
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });
  app.post('/simulator/codeRules', async (req, reply) => {
    const b = (req.body ?? {}) as Partial<CodeRulesAnswer>;
    if (typeof b.version !== 'string' || !Array.isArray(b.codeRules)) return reply.code(400).send({ error: 'send {version: string, codeRules: [...]}' });
    codeRules = { version: b.version, codeRules: b.codeRules };
    return { version: codeRules.version, count: codeRules.codeRules.length };
  });

  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  selfUrl = `http://${o.host ?? '127.0.0.1'}:${port}`;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    notifications,
    requests,
    switches,
    setCodeRules(rules) {
      codeRules = rules;
    },
    paymentCodes,
    setAllowUnbinding(allow) {
      allowUnbinding = allow;
    },
    close: () => app.close(),
  };
}
