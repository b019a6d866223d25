/**
 * Fault-test traffic: a steady stream of signed pay / replayed pay / inquiryPayment calls (as
 * Alipay+ sends them, signed with the shared `aplus` test key) and ops top-ups, over real HTTP
 * to a running service. Every answer is recorded by paymentRequestId (or top-up key) with the
 * phase the test was in, so the invariants can be checked against what the caller was told.
 */
import { randomBytes } from 'node:crypto';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { parseSignatureHeader, sign, signatureHeader, verify } from '../../src/alipayplus/signature.ts';
import { TEST_CLIENT_ID, TEST_OPS_TOKEN, TEST_PSP_ID, TEST_ACQUIRER_ID, testKeys } from '../support/harness.ts';
import { INQUIRY_PATH, PAY_PATH, seedPay } from '../support/payments.ts';

/** Alipay+ gives up on a call after 8 s (§1): an answer slower than this is a fault. */
export const ALIPAYPLUS_TIMEOUT_MS = 8_000;

export type CallKind = 'pay' | 'replay' | 'inquiry' | 'topup';

export interface Answer {
  readonly kind: CallKind;
  /** paymentRequestId (pay, replay, inquiry) or the top-up's idempotency key. */
  readonly key: string;
  readonly phase: string;
  /** HTTP status; 0 when no answer came (connection refused, reset, timeout). */
  readonly httpStatus: number;
  readonly resultStatus?: string;
  readonly resultCode?: string;
  /** inquiryPayment's paymentResult status/code. */
  readonly paymentStatus?: string;
  readonly paymentId?: string;
  /** Alipay+ routes: the answer carried a valid MPP signature over its bytes. */
  readonly signed?: boolean;
  readonly ms: number;
  /** When the answer (or the failure) came, epoch ms. */
  readonly endedAt: number;
  readonly error?: string;
}

export interface SignedAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly signed: boolean;
}

/** POSTs a body signed as Alipay+ would, and checks our answer's signature. */
export async function signedFetch(baseUrl: string, path: string, body: unknown, timeoutMs = ALIPAYPLUS_TIMEOUT_MS + 2_000): Promise<SignedAnswer> {
  const raw = JSON.stringify(body);
  const requestTime = isoWithOffset(new Date());
  const value = await sign({ method: 'POST', uri: path, clientId: TEST_CLIENT_ID, time: requestTime, body: raw }, testKeys.aplusPrivate);
  const res = await fetch(baseUrl + path, {
    method: 'POST',
    body: raw,
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': TEST_CLIENT_ID,
      'request-time': requestTime,
      signature: signatureHeader('1', value),
    },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const parsed = parseSignatureHeader(res.headers.get('signature') ?? undefined);
  const signed =
    parsed !== undefined &&
    (await verify(
      { method: 'POST', uri: path, clientId: String(res.headers.get('client-id')), time: String(res.headers.get('response-time')), body: bytes },
      parsed.signature,
      testKeys.mppPublic,
    ));
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    // recorded as an empty body
  }
  return { status: res.status, body: json, signed };
}

export interface TrafficOptions {
  /** Where the service listens; a function so a restarted process can move. */
  readonly baseUrl: () => string;
  readonly customers: readonly string[];
  /** Concurrent callers. Default 4. */
  readonly concurrency?: number;
  /** Pause between one caller's calls, ms. Default 20. */
  readonly pauseMs?: number;
  /** Extra fields on each new pay (e.g. a close paymentExpiryTime). */
  readonly payExtras?: () => Record<string, unknown>;
  /** Top-ups in the mix (they go through the Redis-backed ops rate limiter). Default true. */
  readonly topUps?: boolean;
}

const resultOf = (b: Record<string, unknown>) => (b.result ?? {}) as { resultStatus?: string; resultCode?: string };

export class Traffic {
  readonly answers: Answer[] = [];
  phase = 'before';
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly sentPays: string[] = [];
  private readonly sentTopUps: string[] = [];
  /** Pays that got an answer: only these are replayed or inquired (an inquiry racing its own
   * pay may truthfully answer ORDER_NOT_EXIST, which would blur the checks). */
  private readonly answeredPays: string[] = [];

  constructor(private readonly o: TrafficOptions) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < (this.o.concurrency ?? 4); i++) this.workers.push(this.worker(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  /** Every paymentRequestId a pay was sent for (answered or not). */
  get payRequestIds(): readonly string[] {
    return this.sentPays;
  }

  inPhase(phase: string): Answer[] {
    return this.answers.filter((a) => a.phase === phase);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(Math.random() * xs.length)]!;
  }

  private async worker(n: number): Promise<void> {
    while (this.running) {
      const r = Math.random();
      let a: Answer | undefined;
      if (this.answeredPays.length === 0 || r < 0.5) a = await this.pay();
      else if (r < 0.65) a = await this.pay(this.pick(this.answeredPays));
      else if (r < 0.9) a = await this.inquiry(this.pick(this.answeredPays));
      else if (this.o.topUps !== false) a = await this.topUp(n);
      // Back off while nothing answers (a dead instance), as a caller would.
      await new Promise((res) => setTimeout(res, a?.httpStatus === 0 ? 250 : (this.o.pauseMs ?? 20)));
    }
  }

  /** A new pay, or the replay of `replayOf` with the same body fields (§4 idempotency). */
  async pay(replayOf?: string): Promise<Answer> {
    const id = replayOf ?? `CH${randomBytes(10).toString('hex')}`;
    if (!replayOf) this.sentPays.push(id);
    const body = { ...seedPay(this.pick(this.o.customers), id), ...this.o.payExtras?.() };
    // A replay must carry the same fields as the first request: keep the first body.
    if (!replayOf) this.bodies.set(id, body);
    const a = await this.call(replayOf ? 'replay' : 'pay', id, PAY_PATH, this.bodies.get(id) ?? body);
    if (!replayOf && a.paymentId) this.answeredPays.push(id);
    return a;
  }

  private readonly bodies = new Map<string, unknown>();

  async inquiry(paymentRequestId: string): Promise<Answer> {
    return this.call('inquiry', paymentRequestId, INQUIRY_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId });
  }

  private async call(kind: CallKind, key: string, path: string, body: unknown): Promise<Answer> {
    const started = Date.now();
    const phase = this.phase;
    let a: Answer;
    try {
      const res = await signedFetch(this.o.baseUrl(), path, body);
      const r = resultOf(res.body);
      const pr = (res.body.paymentResult ?? {}) as { resultStatus?: string; resultCode?: string };
      a = {
        kind,
        key,
        phase,
        httpStatus: res.status,
        resultStatus: r.resultStatus,
        resultCode: r.resultCode,
        paymentStatus: pr.resultStatus,
        paymentId: typeof res.body.paymentId === 'string' ? res.body.paymentId : undefined,
        signed: res.signed,
        ms: Date.now() - started,
        endedAt: Date.now(),
      };
    } catch (err) {
      a = { kind, key, phase, httpStatus: 0, ms: Date.now() - started, endedAt: Date.now(), error: (err as Error).message };
    }
    this.answers.push(a);
    return a;
  }

  async topUp(n = 0): Promise<Answer> {
    // Sometimes replay a top-up key (idempotent: one transfer per key whatever the retries).
    const replay = this.sentTopUps.length > 0 && Math.random() < 0.2;
    const key = replay ? this.pick(this.sentTopUps) : `TU${n}-${randomBytes(8).toString('hex')}`;
    if (!replay) this.sentTopUps.push(key);
    const customer = this.customerOfTopUp(key);
    const started = Date.now();
    const phase = this.phase;
    let a: Answer;
    try {
      const res = await fetch(`${this.o.baseUrl()}/ops/v1/customers/${customer}/topUps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_OPS_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ amount: { currency: 'KRW', value: '5000' }, reason: 'chaos traffic' }),
        signal: AbortSignal.timeout(ALIPAYPLUS_TIMEOUT_MS + 2_000),
      });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      a = { kind: 'topup', key, phase, httpStatus: res.status, resultCode: resultOf(body).resultCode, ms: Date.now() - started, endedAt: Date.now() };
    } catch (err) {
      a = { kind: 'topup', key, phase, httpStatus: 0, ms: Date.now() - started, endedAt: Date.now(), error: (err as Error).message };
    }
    this.answers.push(a);
    return a;
  }

  /** A top-up key always goes to the same customer (a replay must not move to another wallet). */
  private readonly topUpCustomers = new Map<string, string>();
  private customerOfTopUp(key: string): string {
    let c = this.topUpCustomers.get(key);
    if (!c) this.topUpCustomers.set(key, (c = this.pick(this.o.customers)));
    return c;
  }
}

/** One line per (kind, phase, outcome) with counts, for the test's report. */
export function summarize(answers: readonly Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const outcome = a.httpStatus === 0 ? `no-answer` : a.kind === 'topup' ? `HTTP ${a.httpStatus}` : `${a.resultStatus} ${a.resultCode}`;
    const k = `${a.phase} ${a.kind}: ${outcome}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
