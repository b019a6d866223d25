import { type Kysely, sql } from 'kysely';

// Frozen in time: never import app code here.
// The single-column CHECKs of the tables that pay, the sweeper and applyToken write become
// domains. The rule of each is the same text; what changes is where Postgres keeps it: a table's
// CHECK is rebuilt from its stored text (parsed and planned) at the start of every INSERT or
// UPDATE that checks it, a domain's constraint is planned once into the type cache
// (docs/performance.md, "Postgres: what one pay statement costs": +25 % on pay's statement).
// A bad value is still refused by the database, now as a violation of the domain's check.
// The multi-column checks (state machine, money shapes across columns) stay on their tables.
// The scope lists' checks stay on their tables too: PGlite does not serialize an array parameter
// for a column whose type is a domain over an array.
// Changing a column's type to a domain with a constraint checks (and rewrites) the table once.

const DOMAINS: ReadonlyArray<readonly [name: string, base: string, check: string]> = [
  ['mpp_id64', 'text', 'length(value) between 1 and 64'],
  ['mpp_payment_status', 'text', `value in ('PROCESSING', 'SUCCESS', 'FAILED', 'CLOSED', 'CANCELLED')`],
  ['mpp_currency', 'char(3)', `value ~ '^[A-Z]{3}$'`],
  ['mpp_positive_minor', 'int8', 'value > 0'],
  ['mpp_nonnegative_minor', 'int8', 'value >= 0'],
  ['mpp_quote_pair', 'text', `value ~ '^[A-Z]{3}/[A-Z]{3}$'`],
  ['mpp_positive_rate', 'numeric', 'value > 0'],
  ['mpp_sha256_hex', 'text', `value ~ '^[0-9a-f]{64}$'`],
  ['mpp_reason', 'text', 'length(value) between 1 and 256'],
];

// table, column, domain: each column's CHECK was named <table>_<column>_check by Postgres.
const COLUMNS: ReadonlyArray<readonly [table: string, column: string, domain: string]> = [
  ['payments', 'id', 'mpp_id64'],
  ['payments', 'payment_request_id', 'mpp_id64'],
  ['payments', 'status', 'mpp_payment_status'],
  ['payments', 'payment_currency', 'mpp_currency'],
  ['payments', 'payment_minor', 'mpp_positive_minor'],
  ['payments', 'pay_to_currency', 'mpp_currency'],
  ['payments', 'pay_to_minor', 'mpp_positive_minor'],
  ['payments', 'surcharge_minor', 'mpp_nonnegative_minor'],
  ['payments', 'quote_id', 'mpp_id64'],
  ['payments', 'quote_pair', 'mpp_quote_pair'],
  ['payments', 'quote_price', 'mpp_positive_rate'],
  ['pay_requests', 'payment_request_id', 'mpp_id64'],
  ['pay_requests', 'request_hash', 'mpp_sha256_hex'],
  ['payment_status_history', 'from_status', 'mpp_payment_status'],
  ['payment_status_history', 'to_status', 'mpp_payment_status'],
  ['payment_status_history', 'reason', 'mpp_reason'],
  ['auth_codes', 'code_hash', 'mpp_sha256_hex'],
  ['grants', 'refresh_token_hash', 'mpp_sha256_hex'],
  ['access_tokens', 'token_hash', 'mpp_sha256_hex'],
];

// The partial index's predicate names `status`; it is rebuilt with the column's new type.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, base, check] of DOMAINS) {
    await sql`create domain ${sql.id(name)} as ${sql.raw(base)} check (${sql.raw(check)})`.execute(db);
  }
  const tables = [...new Set(COLUMNS.map(([table]) => table))];
  for (const table of tables) {
    const changes = COLUMNS.filter(([t]) => t === table).flatMap(([, column, domain]) => [
      sql`drop constraint if exists ${sql.id(`${table}_${column}_check`)}`,
      sql`alter column ${sql.id(column)} type ${sql.id(domain)}`,
    ]);
    await sql`alter table ${sql.id(table)} ${sql.join(changes)}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const tables = [...new Set(COLUMNS.map(([table]) => table))];
  for (const table of tables) {
    const changes = COLUMNS.filter(([t]) => t === table).flatMap(([, column, domain]) => {
      const [, base, check] = DOMAINS.find(([name]) => name === domain)!;
      return [
        sql`alter column ${sql.id(column)} type ${sql.raw(base)}`,
        sql`add constraint ${sql.id(`${table}_${column}_check`)} check (${sql.raw(check.replaceAll('value', column))})`,
      ];
    });
    await sql`alter table ${sql.id(table)} ${sql.join(changes)}`.execute(db);
  }
  for (const [name] of DOMAINS) await sql`drop domain ${sql.id(name)}`.execute(db);
}
