/**
 * The only file that builds a process: configuration, stores, migrations (embedded mode), the
 * app, background jobs, listen, and a graceful close on SIGTERM/SIGINT (in-flight requests
 * finish, jobs stop, pools close).
 */
import { join } from 'node:path';
import { type AppDeps, buildApp } from './app.ts';
import { ConfigError, type Config, loadConfig } from './config.ts';
import { systemClock, type KeyValueStore } from './domain/ports.ts';
import { MemoryStore } from './adapters/memory-store.ts';
import { RedisStore } from './adapters/redis-store.ts';
import { createDatabase } from './persistence/database.ts';
import { migrateToLatest } from './persistence/migrate.ts';
import { resolveSecrets } from './secrets.ts';

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** `extra`: dependencies a caller overrides (the demo and tests). */
export async function startServer(config: Config, extra: Partial<AppDeps> = {}): Promise<RunningServer> {
  const secrets = resolveSecrets(config);
  const embedded = !config.databaseUrl;
  const database = createDatabase({
    url: config.databaseUrl,
    dataDir: join(config.dataDir, 'pglite'),
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.dbStatementTimeoutMs,
  });
  // Embedded mode migrates by itself; against a real Postgres, `npm run migrate` is the operator's step.
  if (embedded) await migrateToLatest(database.db);
  const kv: KeyValueStore = config.redisUrl ? new RedisStore(config.redisUrl) : new MemoryStore();

  const { app, start } = await buildApp({ config, secrets, database, kv, clock: systemClock, ...extra });
  const started = await start({ runJobs: config.jobsEnabled });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const url = typeof address === 'object' && address ? `http://${config.host}:${address.port}` : config.publicBaseUrl;

  app.log.info(
    {
      url,
      database: embedded ? `embedded PGlite in ${join(config.dataDir, 'pglite')}` : 'DATABASE_URL',
      redis: config.redisUrl ? 'REDIS_URL' : 'in-process store',
      pspId: config.pspId,
    },
    'Alipay+ MPP service listening',
  );
  for (const line of secrets.devMaterial) app.log.warn(`dev only: ${line}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await started.stopJobs();
        await database.close();
        await kv.close();
      })()),
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const server = await startServer(config);
  const stop = (signal: string) => {
    console.error(`${signal}: closing (in-flight requests finish first)`);
    server.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
