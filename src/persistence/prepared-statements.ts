/**
 * Server-side prepared statements for the queries Kysely sends over `pg`.
 *
 * `pg` sends a query without a name as an unnamed statement, which Postgres parses and plans
 * anew every time. For the short statements of the Alipay+ routes that planning is most of the
 * server's work: measured here (10 connections, one process), the pay lookup ran 5,000/s unnamed
 * and 13,700/s prepared, the pay write 2,800/s and 4,400/s. So each distinct SQL text gets a
 * name, and `pg` prepares it once per connection and then only binds and executes it.
 *
 * Kysely always sends values as parameters, so the texts are few: one per query shape in the
 * code. Two kinds of shape vary with the data (multi-row inserts, `in (...)` lists); they are
 * left unnamed above MAX_PARAMETERS parameters, and at most MAX_STATEMENTS texts are named at all,
 * which bounds the memory each connection holds in the server.
 *
 * A prepared `select *` or `returning *` fails with "cached plan must not change result type"
 * once a migration changes the table's columns under a running instance. That error starts a new
 * generation of names, so every statement is prepared afresh on its next use; the query that hit
 * it fails once (inside a transaction it cannot be retried) and the caller answers U, as for any
 * database error. Behind a pooler in transaction mode (PgBouncer before 1.21) named statements do
 * not work; this service connects to Postgres directly.
 */
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

const MAX_STATEMENTS = 500;
const MAX_PARAMETERS = 64;

export interface StatementNames {
  /** The name for `text`, or undefined to send it unnamed. */
  nameOf(text: string, parameterCount: number): string | undefined;
  /** A prepared plan went stale (columns changed): name everything afresh. */
  renew(): void;
  readonly size: number;
}

export function statementNames(max = MAX_STATEMENTS, maxParameters = MAX_PARAMETERS): StatementNames {
  let generation = 0;
  let names = new Map<string, string>();
  return {
    nameOf(text, parameterCount) {
      const known = names.get(text);
      if (known !== undefined) return known;
      if (parameterCount > maxParameters || names.size >= max) return undefined;
      const name = `mpp_${generation}_${names.size}`;
      names.set(text, name);
      return name;
    },
    renew() {
      generation += 1;
      names = new Map();
    },
    get size() {
      return names.size;
    },
  };
}

const STALE_PLAN = 'cached plan must not change result type';

/** Kysely's pool over a pg pool, naming each statement (see above). */
export function preparingPool(pool: pg.Pool, names: StatementNames = statementNames()): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      return {
        query(textOrCursor: unknown, parameters?: readonly unknown[]) {
          if (typeof textOrCursor !== 'string') return client.query(textOrCursor as never);
          const values = (parameters ?? []) as unknown[];
          const name = names.nameOf(textOrCursor, values.length);
          const sent = name === undefined ? client.query(textOrCursor, values) : client.query({ name, text: textOrCursor, values });
          return sent.catch((err: unknown) => {
            if (err instanceof Error && err.message.includes(STALE_PLAN)) names.renew();
            throw err;
          });
        },
        release: (destroy?: boolean) => client.release(destroy),
        // Kysely cancels a query by its backend's process id.
        processID: (client as { processID?: number }).processID,
      } as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
    // Kysely opens a separate client with these to cancel a query.
    options: pool.options,
    Client: (pool as unknown as { Client: PostgresPool['Client'] }).Client,
  };
}
