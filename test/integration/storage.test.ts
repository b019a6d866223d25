import { sql } from 'kysely';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../src/adapters/memory-store.ts';
import { RedisStore } from '../../src/adapters/redis-store.ts';
import type { KeyValueStore } from '../../src/domain/ports.ts';
import { createDatabase, type DatabaseHandle } from '../../src/persistence/database.ts';
import { migrateToLatest } from '../../src/persistence/migrate.ts';
import { realPostgres, realRedis, testDatabase } from '../support/harness.ts';

const handles: DatabaseHandle[] = [];
afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
});

async function engines(): Promise<Array<[string, DatabaseHandle]>> {
  const pglite = createDatabase({ dataDir: 'memory://' });
  await migrateToLatest(pglite.db);
  handles.push(pglite);
  const list: Array<[string, DatabaseHandle]> = [['pglite', pglite]];
  if (realPostgres || process.env.REQUIRE_REAL_SERVICES === '1') {
    const pg = await testDatabase();
    handles.push(pg);
    list.push(['postgres', pg]);
  }
  return list;
}

describe('storage on both engines', async () => {
  for (const [name, handle] of await engines()) {
    it(`${name}: int8 comes back as bigint and numeric as an exact string`, async () => {
      const { rows } = await sql<{ big: bigint; rate: string }>`select 9223372036854775807::int8 as big, 10.0000::numeric as rate`.execute(handle.db);
      expect(rows[0]!.big).toBe(9223372036854775807n);
      expect(rows[0]!.rate).toBe('10.0000');
    });

    it(`${name}: a customer round-trips through the migrated schema`, async () => {
      await handle.db
        .insertInto('customers')
        .values({ id: `c-${name}`, status: 'NORMAL', currency: 'KRW' })
        .execute();
      const row = await handle.db.selectFrom('customers').selectAll().where('id', '=', `c-${name}`).executeTakeFirstOrThrow();
      expect(row.status).toBe('NORMAL');
      expect(row.created_at).toBeInstanceOf(Date);
    });

    it(`${name}: the schema refuses a customer with a bad status`, async () => {
      await expect(sql`insert into customers (id, status, currency) values ('bad', 'WHATEVER', 'KRW')`.execute(handle.db)).rejects.toThrow();
    });

    it(`${name}: migrating again is a no-op`, async () => {
      expect(await migrateToLatest(handle.db, 'schema' in handle && handle.schema ? { schema: String(handle.schema) } : {})).toEqual([]);
    });
  }
});

describe('key-value store on both implementations', () => {
  const stores: Array<[string, () => KeyValueStore]> = [['memory', () => new MemoryStore()]];
  if (realRedis || process.env.REQUIRE_REAL_SERVICES === '1') {
    stores.push(['redis', () => new RedisStore(process.env.REDIS_URL!, `test:kv:${Date.now()}:${Math.random()}:`)]);
  }
  for (const [name, make] of stores) {
    it(`${name}: setIfAbsent lets exactly one caller take a key`, async () => {
      const kv = make();
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => kv.setIfAbsent('lock', `owner-${i}`, 5000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      await kv.close();
    });

    it(`${name}: compareAndDelete releases only the owner's lock`, async () => {
      const kv = make();
      await kv.setIfAbsent('lock2', 'me', 5000);
      expect(await kv.compareAndDelete('lock2', 'someone-else')).toBe(false);
      expect(await kv.get('lock2')).toBe('me');
      expect(await kv.compareAndDelete('lock2', 'me')).toBe(true);
      expect(await kv.get('lock2')).toBeNull();
      await kv.close();
    });

    it(`${name}: incrementWindow counts within a window and expires`, async () => {
      const kv = make();
      expect(await kv.incrementWindow('rate', 200)).toBe(1);
      expect(await kv.incrementWindow('rate', 200)).toBe(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(await kv.incrementWindow('rate', 200)).toBe(1);
      await kv.close();
    });

    it(`${name}: incrementWindow gives concurrent callers on two instances each their own count`, async () => {
      // Two Redis clients on one prefix are two instances; the memory store is one process's own.
      const prefix = `test:kv:${Date.now()}:${Math.random()}:`;
      const one = name === 'redis' ? new RedisStore(process.env.REDIS_URL!, prefix) : make();
      const two = name === 'redis' ? new RedisStore(process.env.REDIS_URL!, prefix) : one;
      const counts = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? two : one).incrementWindow('burst', 5000)));
      expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      expect(await two.incrementWindow('burst', 5000)).toBe(61);
      await Promise.all([...new Set([one, two])].map((kv) => kv.close()));
    });

    it(`${name}: incrementWindow by n gives concurrent callers disjoint blocks of counts (the rate limit's leases)`, async () => {
      const prefix = `test:kv:${Date.now()}:${Math.random()}:`;
      const one = name === 'redis' ? new RedisStore(process.env.REDIS_URL!, prefix) : make();
      const two = name === 'redis' ? new RedisStore(process.env.REDIS_URL!, prefix) : one;
      const sizes = Array.from({ length: 40 }, (_, i) => 1 + (i % 5));
      const ends = await Promise.all(sizes.map((by, i) => (i % 2 ? two : one).incrementWindow('blocks', 5000, by)));
      const counts = ends.flatMap((end, i) => Array.from({ length: sizes[i]! }, (_, k) => end - k));
      const total = sizes.reduce((a, b) => a + b, 0);
      expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      await Promise.all([...new Set([one, two])].map((kv) => kv.close()));
    });

    it(`${name}: values expire after their ttl`, async () => {
      const kv = make();
      await kv.set('short', 'v', 100);
      expect(await kv.get('short')).toBe('v');
      await new Promise((r) => setTimeout(r, 200));
      expect(await kv.get('short')).toBeNull();
      await kv.close();
    });
  }

  // Registered only where Redis is (as the store list above): the embedded run has no Redis to count commands on.
  if (realRedis || process.env.REQUIRE_REAL_SERVICES === '1') {
    it('redis: the increments of one key in one turn of the event loop are one command', async () => {
      const prefix = `test:kv:${Date.now()}:${Math.random()}:`;
      const kv = new RedisStore(process.env.REDIS_URL!, prefix);
      const sent = vi.spyOn(kv.redis, 'mppIncrementWindow');
      const counts = await Promise.all([...Array.from({ length: 25 }, () => kv.incrementWindow('one', 5000)), kv.incrementWindow('two', 5000)]);
      expect(counts.slice(0, 25)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(counts[25]).toBe(1);
      expect(sent).toHaveBeenCalledTimes(2);
      expect(await kv.redis.pttl(`${prefix}one`)).toBeGreaterThan(0); // the window's first hit set its expiry
      await kv.close();
    });
  }
});
