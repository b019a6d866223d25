/**
 * The bodies a load run sends. Unsigned bodies are made on the fly. Signed ones (§1: each body
 * signed as Alipay+, so each new paymentRequestId needs its own RSA signature) are prepared before
 * the timed run with asynchronous crypto.sign in parallel, so the load generator spends no CPU on
 * signing while it measures. When the prepared bodies run out, a cursor sends already used ones
 * again (counted: for pay that means replays, which is a different, cheaper path); a soak run
 * instead keeps signing fresh ones in the background.
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { loadPrivateKey, sign, signatureHeader } from '../../src/alipayplus/signature.ts';
import type { BodySpec, LoadJob, PoolSummary } from './load-job.ts';

export interface PreparedRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Cursor {
  next(): PreparedRequest;
}

const placeholder = (k: number) => `@@BENCH_VARY_${k}@@`;

/** `make(i)`: the body of request i, by filling the varying fields into the serialised template. */
export function bodyMaker(spec: BodySpec): { readonly count: number; make(i: number): string } {
  const vary = spec.vary ?? [];
  const template = structuredClone(spec.template) as Record<string, unknown>;
  vary.forEach((v, k) => {
    let at: Record<string, unknown> = template;
    v.path.slice(0, -1).forEach((p) => (at = at[p] as Record<string, unknown>));
    at[v.path[v.path.length - 1]!] = placeholder(k);
  });
  const text = JSON.stringify(template);
  const values = vary.map((v) => ('values' in v ? v.values.map((x) => JSON.stringify(x).slice(1, -1)) : undefined));
  // A prefix makes every body new (values cycle beside it); values alone give that many bodies.
  const count = vary.some((v) => 'prefix' in v) ? Infinity : vary.reduce((n, _v, k) => Math.min(n, values[k]?.length ?? Infinity), vary.length ? Infinity : 1);
  return {
    count,
    make(i) {
      let out = text;
      vary.forEach((v, k) => {
        const value = 'values' in v ? values[k]![i % values[k]!.length]! : `${v.prefix}${i}`;
        // A function, so a `$` in a value is not read as a replacement pattern.
        out = out.replace(`"${placeholder(k)}"`, () => `"${value}"`);
      });
      return out;
    },
  };
}

/** Unsigned: every body made when it is sent; values cycle (identify's handful of codes). */
export class UnsignedSource {
  private readonly maker;
  private i = 0;
  constructor(private readonly job: LoadJob) {
    this.maker = bodyMaker(job.body);
  }
  cursor(): Cursor {
    return { next: () => ({ headers: this.job.headers ?? {}, body: this.maker.make(this.i++) }) };
  }
  summary(): PoolSummary {
    return { signed: false, prepared: 0, prepareSeconds: 0, replays: 0, refilled: 0 };
  }
}

const SIGN_IN_FLIGHT = 64;
const RECENT = 1024;

/** Signed: prepared before the run; cursors walk them in order (each target its own cursor). */
export class SignedPool {
  private readonly maker;
  /** No varying field: one body sent again and again on purpose (replay, inquiry), not a shortage. */
  private readonly fixed: boolean;
  private readonly key: KeyObject;
  private readonly items: (PreparedRequest | undefined)[] = [];
  private readonly recent: PreparedRequest[] = [];
  private prepareSeconds = 0;
  private replays = 0;
  private refilled = 0;
  private refilling = false;
  private stopped = false;

  constructor(private readonly job: LoadJob) {
    if (!job.signing) throw new Error('SignedPool needs job.signing');
    this.maker = bodyMaker(job.body);
    this.fixed = !job.body.vary?.length;
    this.key = loadPrivateKey(readFileSync(job.signing.privateKeyPath, 'utf8'));
  }

  private async signOne(i: number): Promise<PreparedRequest> {
    const s = this.job.signing!;
    const body = this.maker.make(i);
    const time = isoWithOffset(new Date());
    const value = await sign({ method: this.job.method, uri: this.job.path, clientId: s.clientId, time, body }, this.key);
    return {
      body,
      headers: {
        ...this.job.headers,
        'content-type': 'application/json; charset=UTF-8',
        'client-id': s.clientId,
        'request-time': time,
        signature: signatureHeader(s.keyVersion, value),
      },
    };
  }

  /** Signs bodies [from, to) with SIGN_IN_FLIGHT signatures in flight on libuv's thread pool. */
  private async signRange(from: number, to: number): Promise<void> {
    let next = from;
    const worker = async () => {
      while (next < to && !this.stopped) {
        const i = next++;
        this.items[i] = await this.signOne(i);
      }
    };
    await Promise.all(Array.from({ length: SIGN_IN_FLIGHT }, worker));
  }

  /** Prepares `n` bodies (at most as many distinct ones as the values allow). */
  async prepare(n: number): Promise<void> {
    const count = Math.max(1, Math.min(n, this.maker.count));
    const t0 = performance.now();
    await this.signRange(0, count);
    this.prepareSeconds = (performance.now() - t0) / 1000;
  }

  /**
   * A cursor over the prepared bodies. With `release` (one cursor only) a sent body is dropped
   * from memory, and, when the pool refills, fresh bodies keep coming.
   */
  cursor(o: { release?: boolean } = {}): Cursor {
    let i = 0;
    return {
      next: () => {
        const item = this.items[i];
        if (item) {
          if (o.release) this.items[i] = undefined;
          if (this.recent.length < RECENT) this.recent.push(item);
          else this.recent[i % RECENT] = item;
          i++;
          if (this.job.refill) this.maybeRefill(i);
          return item;
        }
        if (!this.fixed) this.replays++;
        if (this.job.refill) this.maybeRefill(i);
        return this.recent[this.replays % this.recent.length]!;
      },
    };
  }

  /** Soak: keep at least 5,000 fresh bodies signed ahead of the cursor. */
  private maybeRefill(consumed: number): void {
    const ahead = this.items.length - consumed;
    if (this.refilling || this.stopped || ahead > 5000 || this.items.length >= this.maker.count) return;
    this.refilling = true;
    const from = this.items.length;
    const to = Math.min(from + 5000, this.maker.count);
    this.signRange(from, to)
      .then(() => (this.refilled += to - from))
      .finally(() => (this.refilling = false));
  }

  stop(): void {
    this.stopped = true;
  }

  summary(): PoolSummary {
    return {
      signed: true,
      prepared: this.items.length - this.refilled,
      prepareSeconds: this.prepareSeconds,
      replays: this.replays,
      refilled: this.refilled,
    };
  }
}
