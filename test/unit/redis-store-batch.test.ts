/**
 * RedisStore.incrementWindow sends the calls of one key in one event-loop turn as one command
 * (test/integration/storage.test.ts counts them on the real Redis). Here, without a Redis: when
 * that one command fails, every caller of the batch gets the failure (the rate limiter then lets
 * the requests through, see rate-limit.ts), and none of them waits forever.
 */
import { createServer, type Server } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/adapters/redis-store.ts';

let deadPort: number;

beforeAll(async () => {
  // A port that refuses connections: take a free one, then close its listener.
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  deadPort = (holder.address() as { port: number }).port;
  await new Promise<void>((resolve) => holder.close(() => resolve()));
});

describe('RedisStore.incrementWindow without a Redis', () => {
  it('rejects every caller of a batch, within the command timeout', async () => {
    const kv = new RedisStore(`redis://127.0.0.1:${deadPort}`, 'test:');
    const started = Date.now();
    const outcomes = await Promise.allSettled([...Array.from({ length: 5 }, () => kv.incrementWindow('k', 60_000)), kv.incrementWindow('other', 60_000)]);
    expect(outcomes.map((o) => o.status)).toEqual(Array(6).fill('rejected'));
    expect(Date.now() - started).toBeLessThan(5_000);
    await kv.close();
  });
});
