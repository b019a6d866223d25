/**
 * Hostile input no route should have to think about (issue 9, "bad input ... never a 500"):
 *
 * - NUL (U+0000) in any text: Postgres `text` and `jsonb` cannot hold it, so a lookup or insert
 *   would fail as an unexpected error (U UNKNOWN_EXCEPTION / 503) instead of a clean refusal;
 * - lone UTF-16 surrogates (`"\ud800"` escapes): not Unicode; `pg` would silently turn them into
 *   U+FFFD (a different value than Alipay+ holds) and `jsonb` refuses them outright;
 * - nesting deeper than any body of the contract (the deepest, a pay request's
 *   `paymentPromoInfo.paymentPromoDetails[].savingsAmount.value`, is 5): `JSON.parse` is
 *   iterative and copes with any depth, but `JSON.stringify` (storing a request, logging) recurses
 *   and throws past a few thousand levels.
 *
 * Checked once per audience before the routes' own schemas, so every route gets it: the Alipay+
 * envelope (F PARAM_ILLEGAL, §1) and the app and ops scopes (400). The walk is iterative and
 * bounded by the body limit.
 */
import type { FastifyInstance } from 'fastify';
import { ParamIllegal } from '../domain/errors.ts';

/** Deepest nesting accepted in a body; the contract's deepest body nests 5 levels. */
export const MAX_BODY_DEPTH = 32;

export interface HostileFinding {
  /** The field path as parseWire names it (`order.merchant.name`, `scopes.0`), or `body`. */
  readonly field: string;
  readonly reason: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with one piece of text, if anything. */
export function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode (a lone surrogate was sent)';
  return undefined;
}

/** A field name fit for a message: bounded, and without the characters it is refused for. */
function printable(key: string): string {
  const clean = key.replace(/[\u0000\uD800-\uDFFF]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}

/** The first hostile piece of `value` (keys included), walking iteratively; undefined when clean. */
export function findHostileInput(value: unknown, maxDepth = MAX_BODY_DEPTH): HostileFinding | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    const field = path || 'body';
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { field, reason: problem };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return { field, reason: `nested deeper than ${maxDepth} levels` };
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const problem = textProblem(key);
      if (problem) return { field: path ? `${path}.${printable(key)}` : printable(key), reason: `field name ${problem}` };
      stack.push({ v: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Throws F PARAM_ILLEGAL naming the field when `value` holds hostile input. */
export function rejectHostileInput(value: unknown, maxDepth = MAX_BODY_DEPTH): void {
  const finding = findHostileInput(value, maxDepth);
  if (finding) throw new ParamIllegal(finding.field, finding.reason);
}

/**
 * For the app and ops scopes (Fastify's JSON parser, 4xx answers): body, path parameters and
 * query are checked before validation; the scope's error handler turns the refusal into 400.
 */
export function installHostileInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    rejectHostileInput(req.params);
    rejectHostileInput(req.query);
    rejectHostileInput(req.body);
  });
}
