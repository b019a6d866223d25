/**
 * The bench's own database: created fresh for the run on the Postgres of DATABASE_URL, migrated
 * with the service's migrations, dropped at the end (also after a failure or ctrl-c).
 */
import pg from 'pg';
import { createDatabase } from '../../src/persistence/database.ts';
import { migrateToLatest } from '../../src/persistence/migrate.ts';

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  /** A small pool of the bench's own, for setup and checks (not for the measured work). */
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createBenchDatabase(serverUrl: string, name: string): Promise<BenchDatabase> {
  if (!/^bench_[a-z0-9_]{1,50}$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  const migrating = createDatabase({ url, poolSize: 2, applicationName: 'bench-migrate' });
  try {
    await migrateToLatest(migrating.db);
  } finally {
    await migrating.close();
  }
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'bench' });
  pool.on('error', () => undefined);
  await pool.query('create table bench_floor (key text primary key)');

  let dropped = false;
  return {
    name,
    url,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        // FORCE (Postgres 13+) ends what a killed child may have left connected.
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The server's WAL and checkpoint counters (server-wide, like the Postgres CPU column). */
export interface WalCounters {
  readonly bytes: number;
  readonly fullPageImages: number;
  readonly checkpoints: number;
}

/**
 * Reads the counters: pg_stat_wal (Postgres 14+) for the WAL written and the full-page images in
 * it, pg_stat_bgwriter for the checkpoints begun. Undefined where the server has no pg_stat_wal.
 */
export async function walCounters(pool: pg.Pool): Promise<WalCounters | undefined> {
  try {
    const { rows } = await pool.query<{ bytes: number; fpi: number; checkpoints: number }>(
      `select w.wal_bytes::float8 as bytes, w.wal_fpi::float8 as fpi, (b.checkpoints_timed + b.checkpoints_req)::float8 as checkpoints
         from pg_stat_wal w, pg_stat_bgwriter b`,
    );
    const r = rows[0]!;
    return { bytes: r.bytes, fullPageImages: r.fpi, checkpoints: r.checkpoints };
  } catch {
    return undefined;
  }
}
