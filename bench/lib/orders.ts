/**
 * Overdue orders for the sweeper and notify benches, made in bulk in the bench database: one real
 * order is accepted through pay (so every column holds what the service writes), then copied with
 * generate_series, with its unique columns made unique and its expiry in the past.
 *
 * The payments table belongs to the pay migrations, which other branches still change; the copy
 * reads the columns and unique keys from the catalog rather than naming them.
 */
import type pg from 'pg';
import { describe, signedPost } from './clients.ts';
import type { BenchContext } from './context.ts';
import { PAY_ACCEPTED, PAY_PATH, payBody } from './payloads.ts';

interface Column {
  readonly name: string;
  readonly dataType: string;
  readonly skip: boolean;
}

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function columns(pool: pg.Pool): Promise<Column[]> {
  const { rows } = await pool.query<{ column_name: string; data_type: string; column_default: string | null; is_identity: string; is_generated: string }>(
    `select column_name, data_type, column_default, is_identity, is_generated
       from information_schema.columns where table_schema = current_schema() and table_name = 'payments' order by ordinal_position`,
  );
  return rows.map((r) => ({
    name: r.column_name,
    dataType: r.data_type,
    // Serial / identity / generated columns make their own values.
    skip: r.is_identity === 'YES' || r.is_generated === 'ALWAYS' || (r.column_default ?? '').startsWith('nextval('),
  }));
}

/** The text columns that must differ per copy: single-column unique keys, and one of each composite. */
async function uniqueColumns(pool: pg.Pool, all: readonly Column[]): Promise<Set<string>> {
  const { rows } = await pool.query<{ cols: string[] }>(
    `select array_agg(a.attname::text order by k.ord) as cols
       from pg_index i
       join lateral unnest(i.indkey) with ordinality as k(attnum, ord) on true
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
      where i.indrelid = 'payments'::regclass and i.indisunique
      group by i.indexrelid`,
  );
  const text = new Set(all.filter((c) => c.dataType === 'text' || c.dataType === 'character varying').map((c) => c.name));
  const out = new Set<string>();
  for (const { cols } of rows) {
    const candidates = cols.filter((c) => text.has(c));
    const pick = candidates.find((c) => /request/.test(c)) ?? candidates[candidates.length - 1];
    if (pick) out.add(pick);
  }
  return out;
}

export interface OverdueBatch {
  readonly inserted: number;
  readonly seconds: number;
  /** When (performance.now()) the orders came due: all of a batch share one expiry. */
  readonly dueAt: number;
  /** SQL condition selecting this batch's copies. */
  readonly where: string;
}

/** How long after their acceptance the orders of insertOverdueOrders expire. */
const EXPIRY_MS = 1000;

/** The id of one accepted order, made once per run through pay. */
async function template(ctx: BenchContext): Promise<string> {
  const known = ctx.facts.get('templatePaymentId');
  if (known) return known;
  const id = `${ctx.runId}-tmpl`;
  const a = await signedPost(ctx.service.url, PAY_PATH, payBody(id, ctx.customerId));
  if (!PAY_ACCEPTED.includes(describe(a))) throw new NotPossible(`the template pay was not accepted: ${describe(a)}`);
  const { rows } = await ctx.db.pool.query<{ id: string }>('select id from payments where payment_request_id = $1', [id]);
  if (!rows[0]) throw new NotPossible('the template pay left no row in payments');
  ctx.facts.set('templatePaymentId', rows[0].id);
  return rows[0].id;
}

/** A setup that cannot be made on this branch (reported as n/a, not as a failure). */
export class NotPossible extends Error {}

/**
 * Inserts `count` copies of the template order as PROCESSING, each accepted with an expiry one
 * second later, and returns once that second has passed: overdue orders the service could have
 * made (pay refuses an expiry already past, and the sweeper's floor counts on it). `batch`
 * (0-9999) keeps the copies of different calls apart.
 */
export async function insertOverdueOrders(ctx: BenchContext, count: number, batch: number): Promise<OverdueBatch> {
  const tmpl = await template(ctx);
  const all = await columns(ctx.db.pool);
  const unique = await uniqueColumns(ctx.db.pool, all);
  const tag = String(batch).padStart(4, '0');
  const exprs = all
    .filter((c) => !c.skip)
    .map((c) => {
      // Keeps the template's characters (digits stay digits) and stays within 64.
      if (unique.has(c.name)) return `left(t.${q(c.name)}, 40) || '${tag}' || lpad(g::text, 8, '0')`;
      if (c.name === 'status') return `'PROCESSING'`;
      if (c.name === 'expires_at') return `now() + interval '${EXPIRY_MS} milliseconds'`;
      return `t.${q(c.name)}`;
    });
  const names = all.filter((c) => !c.skip).map((c) => q(c.name));
  const t0 = performance.now();
  const res = await ctx.db.pool.query(
    `insert into payments (${names.join(', ')})
     select ${exprs.join(', ')} from payments t, generate_series(1, $2::int) g where t.id = $1`,
    [tmpl, count],
  );
  await ctx.db.pool.query('analyze payments');
  const seconds = (performance.now() - t0) / 1000;
  const due = t0 + EXPIRY_MS + 100 - performance.now();
  if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
  const idCol = unique.has('id') ? 'id' : [...unique][0]!;
  const prefix = (await ctx.db.pool.query<{ p: string }>(`select left(${q(idCol)}, 40) || '${tag}' as p from payments where id = $1`, [tmpl])).rows[0]!.p;
  return {
    inserted: res.rowCount ?? 0,
    seconds,
    dueAt: t0 + EXPIRY_MS,
    where: `left(${q(idCol)}, ${prefix.length}) = ${literal(prefix)} and ${q(idCol)} <> ${literal(tmpl)}`,
  };
}

/** How many of a batch are still PROCESSING. */
export async function stillOpen(ctx: BenchContext, b: OverdueBatch): Promise<number> {
  const { rows } = await ctx.db.pool.query<{ n: string }>(`select count(*) as n from payments where status = 'PROCESSING' and ${b.where}`);
  return Number(rows[0]!.n);
}
