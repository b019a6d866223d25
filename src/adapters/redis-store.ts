/** KeyValueStore on Redis (ioredis). Every operation is atomic on the server. */
import { Redis } from 'ioredis';
import type { KeyValueStore } from '../domain/ports.ts';

// Release a lock only while we still own it: compare and delete in one step (never GET then DEL).
const COMPARE_AND_DELETE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const INCREMENT_WINDOW = `local n = redis.call('incr', KEYS[1]) if n == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end return n`;

export class RedisStore implements KeyValueStore {
  readonly redis: Redis;

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
  async incrementWindow(key: string, ttlMs: number) {
    return Number(await this.redis.eval(INCREMENT_WINDOW, 1, this.k(key), String(ttlMs)));
  }
  async ping() {
    await this.redis.ping();
  }
  async close() {
    this.redis.disconnect();
  }
}
