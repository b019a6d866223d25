/**
 * The service under a chaos test: in process, on real HTTP, over a Postgres and a Redis of its
 * own (own-services.ts, which the test may stop, crash and start), migrated, with three KRW
 * customers for the traffic (traffic.ts).
 */
import type { AddressInfo } from 'node:net';
import { RedisStore } from '../../src/adapters/redis-store.ts';
import { createDatabase, type DatabaseHandle } from '../../src/persistence/database.ts';
import { migrateToLatest } from '../../src/persistence/migrate.ts';
import { createCustomer, type TestApp, testApp } from '../support/harness.ts';
import { type OwnPostgres, type OwnRedis, startOwnPostgres, startOwnRedis } from './own-services.ts';

export const CHAOS_CUSTOMERS: readonly string[] = ['CH_A', 'CH_B', 'CH_C'];

export interface ChaosService {
  readonly postgres: OwnPostgres;
  readonly redis: OwnRedis;
  readonly database: DatabaseHandle;
  readonly kv: RedisStore;
  readonly svc: TestApp;
  readonly baseUrl: string;
  /** Closes the service and its pools, stops Redis and crashes Postgres (nothing to keep). */
  close(): Promise<void>;
}

export async function startChaosService(o: { poolSize: number }): Promise<ChaosService> {
  const [postgres, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
  const database = createDatabase({ url: postgres.url, poolSize: o.poolSize });
  const kv = new RedisStore(redis.url, 'chaos:');
  let svc: TestApp | undefined;
  const stopAll = async () => {
    await svc?.close();
    await database.close();
    await kv.close();
    await redis.stop();
    postgres.stop('immediate');
  };
  let baseUrl: string;
  try {
    await migrateToLatest(database.db);
    svc = await testApp({ database, kv });
    await svc.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(svc.app.server.address() as AddressInfo).port}`;
    for (const c of CHAOS_CUSTOMERS) await createCustomer(svc.app, c, 'KRW');
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
  return {
    postgres,
    redis,
    database,
    kv,
    svc,
    baseUrl,
    close: stopAll,
  };
}
