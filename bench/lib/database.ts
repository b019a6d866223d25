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

/** How often the stand-in below looks at the tables (autovacuum_naptime is 1 min by default). */
const STAND_IN_NAPTIME_MS = 5_000;

/**
 * Autovacuum's work on the bench database, for a server that runs with autovacuum = off (this
 * workplace's machines do; production runs Postgres's default, on). Without it nothing ever
 * analyzes or vacuums the bench's fresh tables: the planner plans tables that grew from empty to
 * hundreds of thousands of rows without statistics, and the dead rows of every update stay.
 * Measured with `--only signed-floor,pay,pay-10,...,apply-token`: pay-10 spent 2,615 µs of
 * Postgres CPU a request and applyToken 647, against 298 and 158 once the tables were analyzed.
 *
 * Every STAND_IN_NAPTIME_MS it applies autovacuum's own thresholds (the defaults) to each table of
 * pg_stat_user_tables: VACUUM (ANALYZE) when dead rows exceed 50 + 20 % of the live ones or
 * inserts since the last vacuum exceed 1,000 + 20 %, ANALYZE when changes since the last analyze
 * exceed 50 + 10 %. It runs during the timed windows as autovacuum would, so its cost is in the
 * Postgres column. The naptime is shorter than autovacuum's minute because a fresh database starts
 * empty: production's tables do not go from empty to full in the minute before a measurement.
 * It is paced as autovacuum is (autovacuum_vacuum_cost_delay 2 ms per vacuum_cost_limit of 200, the
 * defaults): a VACUUM typed by hand runs unpaced, and one of the payments table, right after the
 * sweeper scenario closed 100,000 orders and inserted twice as many, went through the pages of
 * the pay-while-sweeping window at full speed (docs/performance.md, tenth round).
 */
/** A VACUUM or ANALYZE paced as autovacuum's workers are, on a connection of the pool. */
async function paced(pool: pg.Pool, statement: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(`set vacuum_cost_delay = '2ms'`);
    await client.query('set vacuum_cost_limit = 200');
    await client.query(statement);
  } finally {
    await client.query('reset vacuum_cost_delay; reset vacuum_cost_limit').catch(() => undefined);
    client.release();
  }
}

export function autovacuumStandIn(pool: pg.Pool, log: (message: string) => void): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, STAND_IN_NAPTIME_MS));
      if (stopped) break;
      try {
        const { rows } = await pool.query<{ name: string; vacuum: boolean; analyze: boolean }>(
          `select quote_ident(schemaname) || '.' || quote_ident(relname) as name,
                  (n_dead_tup > 50 + 0.2 * n_live_tup or n_ins_since_vacuum > 1000 + 0.2 * n_live_tup) as vacuum,
                  n_mod_since_analyze > 50 + 0.1 * n_live_tup as analyze
             from pg_stat_user_tables`,
        );
        for (const t of rows) {
          if (stopped) break;
          if (t.vacuum) await paced(pool, `vacuum (analyze) ${t.name}`);
          else if (t.analyze) await paced(pool, `analyze ${t.name}`);
        }
      } catch (err) {
        if (!stopped) log(`autovacuum stand-in: ${String(err)}`);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
