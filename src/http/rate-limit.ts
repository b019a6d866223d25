/**
 * Per-client rate limits: @fastify/rate-limit (issue 16 item 8) with a store over our
 * KeyValueStore, registered once (`registerRateLimiter`), then installed where each audience
 * wants it (`installRateLimit`): the app and ops routes, the Alipay+ routes, the cashier and /readyz.
 *
 * What the library gives: the hook, the `x-ratelimit-*` and `Retry-After` headers, per-route
 * limits and key generators, `skipOnError`. What we keep: the counter. The library's own Redis
 * store counts by Redis TTL (a window opens at a client's first hit) and its local store reads
 * Date.now(); neither follows the injected Clock, so tests would sleep through windows. Our store
 * is a FIXED window aligned on the clock (`floor(now / window)`), counted by KeyValueStore's
 * incrementWindow: Redis's atomic INCRBY + PEXPIRE (the library's Lua script does INCR + PEXPIRE;
 * RedisStore sends the calls of one key in one event-loop turn as one INCRBY and gives each caller
 * its own count out of the total) when REDIS_URL is set, so every instance shares one count
 * (exact for limits under 2,000 a window; larger ones are counted in leased blocks, see
 * leaseSize); the in-process store on the embedded default, which is one process.
 *
 * Fail behaviour, on purpose: OPEN. A store that cannot be reached lets the request through
 * (logged): losing Redis must not stop payments, and Redis holds only what can be lost.
 *
 * Counted in `onRequest`, before the body is read: a client over its limit costs no parsing. Hooks
 * run in the order they are added, so where it is installed decides what is counted: before the
 * ops token check it counts every attempt per address (token guessing included); after the app's
 * JWT check it counts per customer.
 */
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import type { KeyValueStore } from '../domain/ports.ts';

/** What a client over its limit gets: `U SYSTEM_BUSY`, HTTP 429 off the Alipay+ routes. */
export class RateLimited extends DomainError {
  readonly statusCode = 429;
  constructor() {
    super('SYSTEM_BUSY', 'Too many requests; retry later');
  }
}

type IncrCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** After the store failed, how long requests skip it (allowed at once) before it is tried again. */
const STORE_RETRY_MS = 5000;

/**
 * Leases: a limit of at least 2,000 a window hands out its counts from blocks that each instance
 * takes from the shared counter in one INCRBY, a thousandth of the limit at a time (the Alipay+
 * routes' 600,000 a minute: blocks of 600). The first request of a window takes a block, the next
 * ones take its counts in turn without a round trip, and the one that finds it spent takes the
 * next block (requests arriving meanwhile wait for it). Every count is still given out once across
 * every instance, so a client is never let through more than its limit in a window. What a lease
 * costs is the other way round: counts an instance took and had not given out when the window
 * ended are lost, so a client may be refused up to (block - 1) requests a window per instance
 * early, a thousandth of its limit. Smaller limits (the app's 600 a minute per customer) take a
 * count per request: exact. Measured in docs/performance.md (the twelfth round): the Redis command
 * of every request was 12 % of the main thread's busy time in a profile of pay.
 */
const LEASE_SHARE = 1000;
const MAX_LEASE = 1000;
export const leaseSize = (max: number): number => Math.min(MAX_LEASE, Math.max(1, Math.floor(max / LEASE_SHARE)));
/** Leases kept (one per limited client); past it, those of other windows are dropped, then all. */
const MAX_LEASES = 10_000;

interface Lease {
  readonly window: number;
  /** The next count to give out; the block is spent once it passes `last`. */
  next: number;
  last: number;
  taking: boolean;
  readonly waiting: Array<{ readonly cb: IncrCallback; readonly ttl: number }>;
}

/**
 * A @fastify/rate-limit store: fixed windows on the injected clock, counted in the KeyValueStore,
 * through leases for large limits (above). A failing store is skipped for STORE_RETRY_MS (wall
 * clock): while Redis is away, requests are let through at once instead of each waiting for a
 * command timeout (payments must not slow down).
 */
function kvStoreClass(kv: KeyValueStore, now: () => number, log: FastifyBaseLogger) {
  let skipUntil = 0;
  const leases = new Map<string, Lease>();
  const failed = (err: Error) => {
    if (Date.now() >= skipUntil) log.warn({ err: err.message }, `rate limiter unavailable; requests allowed for ${STORE_RETRY_MS} ms`);
    skipUntil = Date.now() + STORE_RETRY_MS;
  };
  const take = (name: string, lease: Lease, timeWindow: number, size: number) => {
    lease.taking = true;
    kv.incrementWindow(name, timeWindow, size).then(
      (total) => {
        lease.taking = false;
        lease.next = total - size + 1;
        lease.last = total;
        while (lease.waiting.length > 0 && lease.next <= lease.last) {
          const w = lease.waiting.shift()!;
          w.cb(null, { current: lease.next++, ttl: w.ttl });
        }
        if (lease.waiting.length > 0) take(name, lease, timeWindow, size);
      },
      (err: Error) => {
        lease.taking = false;
        failed(err);
        for (const w of lease.waiting.splice(0)) w.cb(err);
      },
    );
  };
  const leaseOf = (key: string, window: number): Lease => {
    let lease = leases.get(key);
    if (lease?.window === window) return lease;
    if (leases.size >= MAX_LEASES) {
      for (const [k, l] of leases) if (l.window !== window) leases.delete(k);
      if (leases.size >= MAX_LEASES) leases.clear();
    }
    lease = { window, next: 1, last: 0, taking: false, waiting: [] };
    leases.set(key, lease);
    return lease;
  };
  return class KvWindowStore {
    incr(key: string, cb: IncrCallback, timeWindow: number, max: number): void {
      if (Date.now() < skipUntil) {
        cb(new Error('rate limiter store skipped after a failure'));
        return;
      }
      const t = now();
      const window = Math.floor(t / timeWindow);
      const ttl = (window + 1) * timeWindow - t;
      const name = `rl:${key}:${window}`;
      const size = leaseSize(max);
      if (size === 1) {
        kv.incrementWindow(name, timeWindow).then(
          (current) => cb(null, { current, ttl }),
          (err: Error) => {
            failed(err);
            cb(err);
          },
        );
        return;
      }
      const lease = leaseOf(key, window);
      if (lease.next <= lease.last && lease.waiting.length === 0) {
        cb(null, { current: lease.next++, ttl });
        return;
      }
      lease.waiting.push({ cb, ttl });
      if (!lease.taking) take(name, lease, timeWindow, size);
    }
    child(): KvWindowStore {
      return this;
    }
  };
}

export interface RateLimiterOptions {
  readonly kv: KeyValueStore;
  /** Milliseconds since the epoch: the injected Clock's, so windows follow test time too. */
  readonly now: () => number;
}

/** Registers the library once on the root instance (no route is limited until installRateLimit). */
export async function registerRateLimiter(app: FastifyInstance, o: RateLimiterOptions): Promise<void> {
  const options: RateLimitPluginOptions = {
    global: false,
    store: kvStoreClass(o.kv, o.now, app.log) as unknown as RateLimitPluginOptions['store'],
    skipOnError: true,
    hook: 'onRequest',
    errorResponseBuilder: () => new RateLimited() as unknown as object,
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': false },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': false, 'retry-after': true },
  };
  await app.register(rateLimit, options);
}

export interface RateLimitOptions {
  /** Requests allowed per client per window; 0 turns the limit off. A function picks it per request. */
  readonly limit: number | ((req: FastifyRequest) => number);
  readonly windowMs: number;
  /** Distinguishes the audiences' counters (app, ops, alipayplus, public). */
  readonly scope: string | ((req: FastifyRequest) => string);
  /** The client a request counts against: the app's customer when known, else the peer address. */
  readonly clientOf?: (req: FastifyRequest) => string;
}

const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** Adds the limit as an onRequest hook of `ctx`, in order with its other hooks. */
export function installRateLimit(ctx: FastifyInstance, o: RateLimitOptions): void {
  if (typeof o.limit === 'number' && o.limit <= 0) return;
  ctx.addHook('onRequest', rateLimitHook(ctx, o));
}

/** The limit as one onRequest hook, for a single route (a no-op when the limit is 0). */
export function rateLimitHook(ctx: FastifyInstance, o: RateLimitOptions): onRequestHookHandler {
  if (typeof o.limit === 'number' && o.limit <= 0) return async () => undefined;
  const clientOf = o.clientOf ?? ((req: FastifyRequest) => req.ip);
  const scopeOf = typeof o.scope === 'string' ? () => o.scope as string : o.scope;
  const limitOf = typeof o.limit === 'number' ? () => o.limit as number : o.limit;
  return ctx.rateLimit({
    timeWindow: o.windowMs,
    keyGenerator: (req) => `${scopeOf(req)}:${clientOf(req)}`,
    // A scope whose limit is 0 is not limited (its counter is not even kept: see allowList).
    max: (req) => limitOf(req) || NO_LIMIT,
    allowList: (req) => limitOf(req) <= 0,
  });
}
