/**
 * Shared pieces of the hostile-input suites (issue 9 point 2): raw signed posts (any bytes, any
 * headers), the invariants every answer must hold, row counts of every table, the JSON mutators
 * and the fast-check arbitraries of hostile values.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { expect } from 'vitest';
import { RESULT_CATALOG } from '../../src/domain/errors.ts';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { sign, signatureHeader } from '../../src/alipayplus/signature.ts';
import { quoteIdent } from '../../src/persistence/database.ts';
import type { Database } from '../../src/persistence/schema.ts';
import { responseSignatureValid, TEST_CLIENT_ID, testKeys } from '../support/harness.ts';

/** Runs per property; FUZZ_RUNS=1000 for a deeper local run. Chosen so the suites stay near 30 s on the real Postgres. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 40);

export interface RawPostOptions {
  /** Header values sent in place of the signed ones; `undefined` removes the header. */
  readonly headers?: Record<string, string | string[] | undefined>;
  readonly requestTime?: string;
  readonly clientId?: string;
}

/** POSTs exactly `raw` (bytes or text), signed as Alipay+ signs it, so the fuzz reaches the parsers. */
export async function signedRawPost(app: FastifyInstance, path: string, raw: Buffer | string, o: RawPostOptions = {}): Promise<LightMyRequestResponse> {
  const body = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const clientId = o.clientId ?? TEST_CLIENT_ID;
  const requestTime = o.requestTime ?? isoWithOffset(new Date());
  const value = await sign({ method: 'POST', uri: path, clientId, time: requestTime, body }, testKeys.aplusPrivate);
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json; charset=UTF-8',
    'client-id': clientId,
    'request-time': requestTime,
    signature: signatureHeader('1', value),
  };
  for (const [name, v] of Object.entries(o.headers ?? {})) {
    if (v === undefined) delete headers[name];
    else headers[name] = v;
  }
  return app.inject({ method: 'POST', url: path, payload: body, headers });
}

export interface WireResult {
  readonly resultCode: string;
  readonly resultStatus: string;
  readonly resultMessage: string;
}

/** The `{result}` of any answer, checked well-formed: three strings, a catalog code and its status. */
export function wellFormedResult(res: LightMyRequestResponse): WireResult {
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as { result?: WireResult };
  const r = body.result;
  expect(r, `no result in ${res.body.slice(0, 300)}`).toBeTypeOf('object');
  expect(Object.keys(r!).sort()).toEqual(['resultCode', 'resultMessage', 'resultStatus']);
  expect(typeof r!.resultMessage).toBe('string');
  expect(Object.keys(RESULT_CATALOG)).toContain(r!.resultCode);
  expect(r!.resultStatus).toBe(RESULT_CATALOG[r!.resultCode as keyof typeof RESULT_CATALOG].status);
  return r!;
}

/** Security headers every answer carries (src/http/server-options.ts SECURITY_HEADERS). */
export function expectSecurityHeaders(res: LightMyRequestResponse): void {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['cache-control']).toBe('no-store');
}

/**
 * §1 for garbage on an Alipay+ route: HTTP 200, a well-formed result, F (never S; never the U of an
 * unexpected exception, which is how a 500 looks on these routes), signed over the exact bytes when
 * the caller named our Alipay+ Client-Id; unsigned when it did not (§1 Revision 2, issue 16). The
 * fuzz apps set ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE=0, so every refusal to our client is signed.
 */
export async function expectAlipayPlusRefusal(path: string, res: LightMyRequestResponse): Promise<WireResult> {
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  const r = wellFormedResult(res);
  expect(r.resultStatus, JSON.stringify(r)).toBe('F');
  expectSecurityHeaders(res);
  const asked = (res.raw.req as { headers?: Record<string, unknown> }).headers?.['client-id'];
  if (asked === TEST_CLIENT_ID) expect(await responseSignatureValid(path, res)).toBe(true);
  else expect(res.headers.signature, 'a refusal to a caller that is not Alipay+ is unsigned').toBeUndefined();
  return r;
}

/** App routes: a 4xx (or the route's own success for input that is merely odd) with a `{result}`, never a 5xx. */
export function expectAppAnswer(res: LightMyRequestResponse): WireResult {
  expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
  const r = wellFormedResult(res);
  expect(r.resultCode).not.toBe('UNKNOWN_EXCEPTION');
  expectSecurityHeaders(res);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Row counts of every table in the app's schema

export type RowCounts = Record<string, string>;

/** Row counts of every base table of the current schema (the test's own schema on Postgres). */
export async function rowCounts(db: Kysely<Database>): Promise<RowCounts> {
  let query = countQueries.get(db);
  if (!query) {
    const tables = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
    if (tables.rows.length === 0) throw new Error('no tables found in the current schema');
    query = tables.rows.map((t) => `select '${t.name}' as name, count(*)::text as n from ${quoteIdent(t.name)}`).join(' union all ');
    countQueries.set(db, query);
  }
  const counts = await sql<{ name: string; n: string }>`${sql.raw(query)}`.execute(db);
  return Object.fromEntries(counts.rows.map((r) => [r.name, r.n]));
}

/** The tables of a schema do not change while a suite runs (no migrations then): list them once. */
const countQueries = new WeakMap<Kysely<Database>, string>();

/** The counts of `tables` ('all': every table) in `after` equal those in `before`. */
export function expectUnchanged(before: RowCounts, after: RowCounts, tables: 'all' | readonly string[] = 'all'): void {
  const pick = (c: RowCounts) => (tables === 'all' ? c : Object.fromEntries(tables.map((t) => [t, c[t]])));
  expect(pick(after)).toEqual(pick(before));
}

// ---------------------------------------------------------------------------------------------
// Paths into a sample body

export type Path = readonly (string | number)[];
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export const pathName = (p: Path) => p.join('.');

/** Every path of a JSON value: objects, arrays and leaves (not the root). */
export function allPaths(v: unknown, prefix: Path = []): Path[] {
  if (typeof v !== 'object' || v === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return entries.flatMap(([k, child]) => [[...prefix, k], ...allPaths(child, [...prefix, k])]);
}

export function getAt(v: unknown, p: Path): unknown {
  return p.reduce<unknown>((acc, k) => (acc as Record<string | number, unknown>)[k], v);
}

/** A deep copy of `v` with the value at `p` replaced. */
export function setAt<T>(v: T, p: Path, value: unknown): T {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let node = copy;
  for (const k of p.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[p[p.length - 1]!] = value;
  return copy as T;
}

export const stringPaths = (sample: unknown) => allPaths(sample).filter((p) => typeof getAt(sample, p) === 'string');

/** Paths of `{currency, value}` objects (§2 Amounts) in a sample. */
export function amountPaths(sample: unknown): Path[] {
  return allPaths(sample).filter((p) => {
    const v = getAt(sample, p) as Record<string, unknown> | null;
    return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.currency === 'string' && typeof v.value === 'string';
  });
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** A JSON value of another type than `like` (what "wrong type for each field" sends). */
export function wrongTypeFor(like: unknown): fc.Arbitrary<Json> {
  const choices: fc.Arbitrary<Json>[] = [
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxKeys: 3 }),
    fc.string({ maxLength: 20 }),
  ];
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  return fc.oneof(...choices).filter((v) => kind(v) !== kind(like));
}

/** Characters that break naive text handling: NUL, lone surrogates, bidi controls, zero-width, emoji, line separators, noncharacters. */
export const EDGE_CHARS = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\u0301',
  '\u0338',
  '１',
  '٣',
  '😀',
  '👩‍👩‍👧',
  '🇰🇷',
  '\u{10ffff}',
  '"',
  '\\',
  '/',
  '%00',
  '\\u0000',
  "'",
  '<',
  '>',
];

/** Strings mixing ordinary text with the edge characters above, up to `maxLength` units. */
export function edgeString(maxLength = 40): fc.Arbitrary<string> {
  // any code point, lone surrogates included (String.fromCodePoint(0xd800) is one)
  const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
  return fc
    .array(fc.oneof(fc.constantFrom(...EDGE_CHARS), anyCodePoint, fc.constantFrom('a', 'Z', '0', ' ')), { minLength: 1, maxLength })
    .map((units) => units.join(''));
}

/** True when a string holds what the service refuses in any text (NUL, a lone surrogate). */
export function holdsRefusedText(s: string): boolean {
  return s.includes('\u0000') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Byte sequences that are not UTF-8: stray continuation bytes, overlong forms, CESU surrogates, 0xFF. */
export const INVALID_UTF8 = [
  Buffer.from([0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xe0, 0x80, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xc3]),
  Buffer.from([0xf0, 0x9f, 0x98]),
];

/** JSON text that is not one JSON value, made from a valid sample text. */
export function malformedJson(sampleText: string): fc.Arbitrary<string> {
  const garbageTail = fc.string({ minLength: 1, maxLength: 10 }).filter((s) => s.trim().length > 0);
  return fc.oneof(
    // truncated anywhere (a strict prefix of an object's text is never a JSON value)
    fc.integer({ min: 0, max: sampleText.length - 1 }).map((k) => sampleText.slice(0, k)),
    // trailing garbage after a complete value
    garbageTail.map((g) => sampleText + g),
    // a second value after the first
    fc.constantFrom('{}', '[]', '1', 'null').map((g) => `${sampleText} ${g}`),
    // literals JSON does not have, in place of the first string value (a string not followed by `:`)
    fc.constantFrom('NaN', 'Infinity', '-Infinity', 'undefined', "'x'", '0x10', '01', '.5', '+1', 'True', 'None', '1e999999x').map((lit) => {
      const text = sampleText.replace(/"(?:[^"\\]|\\.)*"(?!\s*:)/, lit);
      if (text === sampleText) throw new Error('malformedJson: the sample has no string value');
      return text;
    }),
    // comments
    fc.constantFrom('/* c */', '// c\n', '# c\n').map((c) => `{${c}${sampleText.slice(1)}`),
    // trailing comma, single quotes, unquoted keys
    fc.constant(`${sampleText.slice(0, -1)},}`),
    fc.constant(sampleText.replaceAll('"', "'")),
    fc.constant(sampleText.replace(/"([A-Za-z]+)":/, '$1:')),
    // empty or blank bodies
    fc.constantFrom('', ' ', '\n', '\u00a0', '\ufeff'),
  );
}

/** A JSON value that is not an object (valid JSON, wrong top-level shape). */
export const nonObjectJson: fc.Arbitrary<string> = fc
  .jsonValue({ maxDepth: 3 })
  .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
  .map((v) => JSON.stringify(v));

/** `depth` levels of nesting around a leaf, as text (arrays, objects or a mix). */
export function nestedText(depth: number, style: 'array' | 'object' | 'mixed'): string {
  if (style === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (style === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    if (i % 2 === 0) {
      open.push('[');
      close.push(']');
    } else {
      open.push('{"a":');
      close.push('}');
    }
  }
  return `${open.join('')}0${close.reverse().join('')}`;
}

/** Sample JSON text with the value at `p` replaced by raw JSON text (which JSON.stringify cannot produce). */
export function withRawAt(sample: unknown, p: Path, rawValue: string): string {
  const marker = `__raw_${Math.random().toString(36).slice(2)}__`;
  return JSON.stringify(setAt(sample, p, marker)).replace(`"${marker}"`, rawValue);
}

/** §2 absurd amount values and currencies. */
export const ABSURD_VALUES = [
  '1e30',
  '-1',
  '00',
  '01',
  '0x10',
  '1.5',
  '1,000',
  ' 1',
  '1 ',
  '+1',
  '',
  'NaN',
  'Infinity',
  '１２',
  '٣',
  '9223372036854775808',
  '99999999999999999999',
  '123456789012345678901234567890',
  '-0',
  '0.0',
  '1_000',
];
export const ABSURD_CURRENCIES = ['usd', 'US', 'USDD', '', '123', 'ＵＳＤ', 'U\u0000D', 'ZZZ', 'XXXX', ' USD'];

/** A sample with one amount made absurd: `[body, fieldPathName]`. */
export function absurdAmount(sample: unknown, paths: readonly Path[]): fc.Arbitrary<[unknown, string]> {
  return fc.constantFrom(...paths).chain((p) =>
    fc.oneof(
      fc
        .oneof(fc.constantFrom(...ABSURD_VALUES), fc.stringMatching(/^[0-9]{20,40}$/))
        .map((value) => [setAt(sample, [...p, 'value'], value), `${pathName(p)}.value`] as [unknown, string]),
      fc.constantFrom(...ABSURD_CURRENCIES).map((currency) => [setAt(sample, [...p, 'currency'], currency), `${pathName(p)}.currency`] as [unknown, string]),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// The app's routes and a little data

/**
 * Every route the app has, as `METHOD /path` (HEAD left out), read from Fastify's route tree
 * (`printRoutes({commonPrefix: false})`: one node per line, 4 columns of indent per level).
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && s !== 'HEAD')) {
      out.push(`${method} ${stack.join('')}`);
    }
  }
  return out;
}

/**
 * Rows in every table the routes on this branch touch, so "unchanged" compares real counts: a
 * customer with a top-up, an unused auth code and a grant with its access token.
 */
export async function seedData(app: FastifyInstance, customerId: string): Promise<void> {
  const { createCustomer, opsHeaders } = await import('../support/harness.ts');
  const { applyWithCode, authCodeFor } = await import('../support/tokens.ts');
  const ctx = { app, clock: { now: () => new Date() } };
  await createCustomer(app, customerId, 'KRW');
  const topUp = await app.inject({
    method: 'POST',
    url: `/ops/v1/customers/${customerId}/topUps`,
    headers: opsHeaders(),
    payload: { amount: { currency: 'KRW', value: '100000' }, idempotencyKey: `seed-${customerId}`, reason: 'fuzz seed' },
  });
  if (topUp.statusCode !== 201) throw new Error(`seed top-up failed: ${topUp.body}`);
  await authCodeFor(ctx, customerId);
  const applied = await applyWithCode(ctx, await authCodeFor(ctx, customerId));
  if (applied.json().result.resultStatus !== 'S') throw new Error(`seed applyToken failed: ${applied.body}`);
}
