/**
 * Per-client rate limits on the app and ops routes: a fixed window counter in the KeyValueStore
 * (Redis when configured, in-process when embedded), answering 429 with Retry-After. A limiter
 * that cannot reach Redis lets the request through (logged): losing Redis must not stop payments.
 *
 * Counted in `onRequest`, before the body is read: a client over its limit costs no parsing. Hooks
 * run in the order they are added, so where it is installed decides what is counted: before the
 * ops token check it counts every attempt per address (token guessing included); after the app's
 * JWT check it counts per customer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { result } from '../domain/errors.ts';
import type { KeyValueStore } from '../domain/ports.ts';

export interface RateLimitOptions {
  readonly kv: KeyValueStore;
  /** Requests allowed per client per window; 0 turns the limit off. */
  readonly limit: number;
  readonly windowMs: number;
  /** Distinguishes the audiences' counters (app, ops). */
  readonly scope: string;
  /** The client a request counts against: the app's customer when known, else the peer address. */
  readonly clientOf?: (req: FastifyRequest) => string;
  /** Milliseconds since the epoch: the injected Clock's, so windows follow test time too. */
  readonly now?: () => number;
}

export function installRateLimit(app: FastifyInstance, o: RateLimitOptions): void {
  if (o.limit <= 0) return;
  const clientOf = o.clientOf ?? ((req: FastifyRequest) => req.ip);
  const now = o.now ?? Date.now;
  app.addHook('onRequest', async (req, reply) => {
    const t = now();
    const window = Math.floor(t / o.windowMs);
    const key = `rl:${o.scope}:${clientOf(req)}:${window}`;
    let count: number;
    try {
      count = await o.kv.incrementWindow(key, o.windowMs);
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'rate limiter unavailable; request allowed');
      return;
    }
    reply.header('x-ratelimit-limit', String(o.limit));
    reply.header('x-ratelimit-remaining', String(Math.max(0, o.limit - count)));
    if (count > o.limit) {
      const retryAfterSeconds = Math.ceil(((window + 1) * o.windowMs - t) / 1000);
      req.log.warn({ scope: o.scope }, 'rate limit exceeded');
      return reply
        .code(429)
        .header('retry-after', String(Math.max(1, retryAfterSeconds)))
        .send({ result: result('SYSTEM_BUSY', 'Too many requests; retry later') });
    }
  });
}
