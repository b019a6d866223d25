/**
 * The database: Kysely over `pg` when DATABASE_URL is set, over PGlite (embedded Postgres, data
 * in DATA_DIR) when it is not. One set of migrations and repositories serves both.
 *
 * Type parsing is decided here, once, for both engines: `int8` (money in minor units, counters)
 * becomes a JS `bigint`, `numeric` (rates) stays a decimal string, so money never becomes a
 * `number`. Timestamps come back as `Date`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { preparingPool } from './prepared-statements.ts';
import type { DatabaseLoad } from '../domain/ports.ts';
import type { Database } from './schema.ts';

export type Engine = 'postgres' | 'pglite';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** The pg pool (postgres engine only), for pool metrics. */
  readonly pool?: pg.Pool;
  /** PGlite only: a dump of the data directory, which `loadDataDir` starts another database from. */
  readonly dumpDataDir?: () => Promise<Blob>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

const parseInt8 = (v: string) => BigInt(v);
const parseNumeric = (v: string) => v;

/** pg's own parsers, with int8 and numeric decided on purpose (scoped to our pools, not global). */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return parseInt8;
    if (oid === NUMERIC_OID) return parseNumeric;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export interface DatabaseOptions {
  /** postgres:// URL; absent means embedded PGlite. */
  readonly url?: string | undefined;
  /** PGlite data folder; 'memory://' for a throw-away in-memory database. */
  readonly dataDir?: string;
  /** PGlite: start from this dump of a data directory (PGlite's dumpDataDir), not an empty one. */
  readonly loadDataDir?: Blob;
  readonly poolSize?: number;
  /** Postgres schema to work in (tests isolate each run in its own). */
  readonly schema?: string;
  readonly applicationName?: string;
  /**
   * Postgres `statement_timeout` of every session (ms; 0 or absent: none). A statement stuck on a
   * lock or a slow plan is cancelled instead of holding a pool connection while a flood queues
   * behind it (issue 16). PGlite (one embedded connection) has no such setting here.
   */
  readonly statementTimeoutMs?: number;
}

export function createDatabase(opts: DatabaseOptions): DatabaseHandle {
  if (opts.url) {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      types: pgTypes,
      application_name: opts.applicationName ?? 'alipayplus-mpp',
      // Fail fast rather than hang when the database is away; the caller answers U.
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
      ...(opts.schema ? { options: `-c search_path=${quoteIdent(opts.schema)}` } : {}),
    });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on('error', () => undefined);
    // A CHECKED-OUT client has no pool listener: losing its connection between two queries (a
    // transaction awaiting app code while pg_terminate_backend or a restart hits) emits 'error'
    // with nobody listening, an uncaught exception that kills the process (issue 9 fault (b)).
    // The query in flight, or the next one, fails on its own (-> U); release drops the client.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
    return { db, engine: 'postgres', pool, close: () => db.destroy() };
  }
  const dataDir = opts.dataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir.startsWith('memory://') ? dataDir : join(dataDir), {
    parsers: { [INT8_OID]: parseInt8, [NUMERIC_OID]: parseNumeric },
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, engine: 'pglite', dumpDataDir: () => pglite.dumpDataDir('none'), close: () => db.destroy() };
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe identifier: ${name}`);
  return `"${name}"`;
}

/** Round trip to the database, for /readyz. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}

/**
 * The DatabaseLoad port: the other sessions of this application (every instance's pool carries its
 * application_name) running a statement now, from pg_stat_activity. Maintenance, ops sessions and
 * other programs on the same server do not count: they are not the traffic a job gives way to.
 */
export function databaseLoad(db: Kysely<Database>): DatabaseLoad {
  return {
    async othersActive() {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int4 as n from pg_stat_activity
         where datname = current_database() and application_name = current_setting('application_name')
           and state = 'active' and pid <> pg_backend_pid()`.execute(db);
      return rows[0]?.n ?? 0;
    },
  };
}
