/**
 * The rate limit's leases (src/http/rate-limit.ts, leaseSize): a limit of at least 2,000 a window
 * hands out its counts from blocks taken from the shared counter in one INCRBY each. On the real
 * Redis when REDIS_URL is set (two stores on one prefix play two instances), else the in-process
 * store. What must hold: never more than the limit let through in a window, across instances; at
 * most (block - 1) per instance refused early; one store call per block, not per request.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../src/domain/ports.ts';
import { installRateLimit, leaseSize, registerRateLimiter } from '../../src/http/rate-limit.ts';
import { testKv } from '../support/harness.ts';

const WINDOW_MS = 60_000;
/** Every store call, counted; `hold` keeps the next answers back until `release` (a slow Redis). */
function counted(kv: KeyValueStore) {
  const calls: number[] = [];
  let held: Array<() => void> | undefined;
  const store: KeyValueStore = Object.assign(Object.create(Object.getPrototypeOf(kv)) as KeyValueStore, kv, {
    incrementWindow: async (key: string, ttlMs: number, by?: number) => {
      calls.push(by ?? 1);
      if (held) await new Promise<void>((resolve) => held!.push(resolve));
      return kv.incrementWindow(key, ttlMs, by);
    },
  });
  return {
    store,
    calls,
    hold: () => {
      held = [];
    },
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
  };
}

async function instance(kv: KeyValueStore, limit: number, at: () => number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await registerRateLimiter(app, { kv, now: at });
  await app.register(async (scoped) => {
    installRateLimit(scoped, { limit, windowMs: WINDOW_MS, scope: 'alipayplus' });
    scoped.post('/limited', async () => ({ ok: true }));
  });
  await app.ready();
  return app;
}

const apps: FastifyInstance[] = [];
const stores: KeyValueStore[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(stores.map((s) => s.close()));
});

/** Two instances over one shared counter (two Redis connections on one prefix, or one in-process store). */
async function twoInstances(limit: number, at: () => number) {
  const prefix = `test:leases:${process.hrtime.bigint()}:`;
  const one = counted(testKv(prefix));
  const two = process.env.REDIS_URL ? counted(testKv(prefix)) : one;
  stores.push(one.store, ...(two === one ? [] : [two.store]));
  const a = await instance(one.store, limit, at);
  const b = await instance(two.store, limit, at);
  apps.push(a, b);
  return { a, b, calls: () => [...one.calls, ...(two === one ? [] : two.calls)] };
}

const hit = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/limited', payload: {} });
// Thirty seconds into a window, by an injected clock: a burst never straddles two windows.
const midWindow = () => Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 30_000;

describe('rate limit leases', () => {
  it('sizes a block at a thousandth of the limit, none below 2,000 a window, at most 1,000', () => {
    expect([600, 1999, 2000, 5000, 600_000, 10_000_000].map(leaseSize)).toEqual([1, 1, 2, 5, 600, 1000]);
  });

  it('lets through at most the limit across two instances fired at in parallel, refuses at most a block per instance early, and calls the store once a block', async () => {
    const limit = 5000; // blocks of 5
    const at = midWindow();
    const { a, b, calls } = await twoInstances(limit, () => at);
    const answers = await Promise.all(Array.from({ length: limit + 400 }, (_, i) => hit(i % 2 ? a : b)));
    const passed = answers.filter((r) => r.statusCode === 200).length;
    const refused = answers.filter((r) => r.statusCode === 429);
    expect(passed).toBeLessThanOrEqual(limit);
    expect(passed).toBeGreaterThanOrEqual(limit - 2 * (leaseSize(limit) - 1));
    expect(refused.length).toBe(answers.length - passed);
    expect(Number(refused[0]!.headers['retry-after'])).toBe(30);
    // Each request's count is its own: the remaining counts each instance answered never repeat.
    for (const app of [a, b]) {
      const remaining = answers.filter((r, i) => r.statusCode === 200 && (i % 2 ? a : b) === app).map((r) => r.headers['x-ratelimit-remaining']);
      expect(new Set(remaining).size).toBe(remaining.length);
    }
    const sent = calls();
    expect(sent.every((by) => by === leaseSize(limit))).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(answers.length / leaseSize(limit)) + 2);
  });

  it('keeps the requests that arrive while a block is being taken waiting for it, in order, and takes the next block when it runs out', async () => {
    const limit = 3000; // blocks of 3
    const at = midWindow();
    const prefix = `test:leases:${process.hrtime.bigint()}:`;
    const kv = counted(testKv(prefix));
    stores.push(kv.store);
    const app = await instance(kv.store, limit, () => at);
    apps.push(app);
    kv.hold();
    const pending = Array.from({ length: 7 }, () => hit(app));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kv.calls).toEqual([3]); // one block asked for; six requests wait behind the first
    kv.release();
    const answers = await Promise.all(pending);
    expect(answers.map((r) => r.statusCode)).toEqual(Array(7).fill(200));
    expect(answers.map((r) => Number(r.headers['x-ratelimit-remaining']))).toEqual([2999, 2998, 2997, 2996, 2995, 2994, 2993]);
    expect(kv.calls).toEqual([3, 3, 3]);
  });

  it('starts a new count in the next window', async () => {
    const limit = 2000; // blocks of 2
    let at = midWindow();
    const { a } = await twoInstances(limit, () => at);
    expect((await hit(a)).headers['x-ratelimit-remaining']).toBe('1999');
    expect((await hit(a)).headers['x-ratelimit-remaining']).toBe('1998');
    at += WINDOW_MS;
    expect((await hit(a)).headers['x-ratelimit-remaining']).toBe('1999');
  });

  it('lets every waiting request through when the block cannot be taken (the store is away), and tells none of them to retry', async () => {
    const base = testKv();
    stores.push(base);
    const away: KeyValueStore = Object.assign(Object.create(Object.getPrototypeOf(base)) as KeyValueStore, base, {
      incrementWindow: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('Connection is closed.');
      },
    });
    const app = await instance(away, 600_000, midWindow);
    apps.push(app);
    const answers = await Promise.all(Array.from({ length: 20 }, () => hit(app)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
  });
});
