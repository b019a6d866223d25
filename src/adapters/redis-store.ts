/** KeyValueStore on Redis (ioredis). Every operation is atomic on the server. */
import { Redis, type Result } from 'ioredis';
import type { KeyValueStore } from '../domain/ports.ts';

// Release a lock only while we still own it: compare and delete in one step (never GET then DEL).
const COMPARE_AND_DELETE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
// Add ARGV[2] to a window's count; the hit that opens the window (the count was 0) sets its expiry.
const INCREMENT_WINDOW = `local n = redis.call('incrby', KEYS[1], ARGV[2]) if n == tonumber(ARGV[2]) then redis.call('pexpire', KEYS[1], ARGV[1]) end return n`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    mppIncrementWindow(key: string, ttlMs: string, by: string): Result<number, Context>;
  }
}

/** The increments of one key waiting for the next flush, in arrival order, and their sum. */
interface PendingIncrements {
  readonly ttlMs: number;
  by: number;
  readonly waiters: Array<{ readonly by: number; resolve(count: number): void; reject(err: unknown): void }>;
}

export class RedisStore implements KeyValueStore {
  readonly redis: Redis;
  /** incrementWindow's calls since the last flush, by prefixed key. */
  private pending = new Map<string, PendingIncrements>();

  constructor(
    url: string,
    private readonly prefix = 'mpp:',
  ) {
    this.redis = new Redis(url, {
      // Fail commands fast while Redis is away instead of queueing them forever; callers degrade.
      // The offline queue only bridges the first connect and short reconnects: commandTimeout caps it.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      connectTimeout: 2000,
      commandTimeout: 1000,
      lazyConnect: false,
    });
    // Reconnects on its own; an error event must not crash the process.
    this.redis.on('error', () => undefined);
    // Sent as EVALSHA (ioredis loads the script on a NOSCRIPT answer).
    this.redis.defineCommand('mppIncrementWindow', { numberOfKeys: 1, lua: INCREMENT_WINDOW });
  }

  private k(key: string) {
    return this.prefix + key;
  }
  async get(key: string) {
    return this.redis.get(this.k(key));
  }
  async set(key: string, value: string, ttlMs: number) {
    await this.redis.set(this.k(key), value, 'PX', ttlMs);
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    return (await this.redis.set(this.k(key), value, 'PX', ttlMs, 'NX')) === 'OK';
  }
  async compareAndDelete(key: string, value: string) {
    return (await this.redis.eval(COMPARE_AND_DELETE, 1, this.k(key), value)) === 1;
  }
  async del(key: string) {
    await this.redis.del(this.k(key));
  }
  /**
   * Group increment: the calls for one key made in the same turn of the event loop (the requests
   * one poll phase read) go to Redis as ONE INCRBY of their sum, flushed by setImmediate, and
   * each caller gets its own counts out of the new total, in arrival order. The shared count is
   * exactly what one INCRBY per call would give (the rate limiters of every instance still share
   * it); what is saved is a Redis round trip per request under load.
   */
  incrementWindow(key: string, ttlMs: number, by = 1): Promise<number> {
    const k = this.k(key);
    return new Promise((resolve, reject) => {
      const batch = this.pending.get(k);
      if (batch) {
        batch.by += by;
        batch.waiters.push({ by, resolve, reject });
        return;
      }
      if (this.pending.size === 0) setImmediate(() => this.flushIncrements());
      this.pending.set(k, { ttlMs, by, waiters: [{ by, resolve, reject }] });
    });
  }

  private flushIncrements(): void {
    const batches = this.pending;
    this.pending = new Map();
    for (const [key, { ttlMs, by, waiters }] of batches) {
      this.redis.mppIncrementWindow(key, String(ttlMs), String(by)).then(
        (total) => {
          let count = Number(total) - by;
          for (const w of waiters) w.resolve((count += w.by));
        },
        (err: unknown) => {
          for (const w of waiters) w.reject(err);
        },
      );
    }
  }
  async ping() {
    await this.redis.ping();
  }
  async close() {
    this.redis.disconnect();
  }
}
