import { RE2JS } from 're2js';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { checkSync } from 'recheck';
import { MAX_REGEX_PROGRAM_SIZE, MAX_REGEX_SOURCE_LENGTH } from './safe-regex.ts';

/**
 * Alipay+ rule regexes in Java's dialect (code-identification-sdk.md facts 8, 11, 14), run without
 * ever letting a catastrophic pattern stall the event loop.
 *
 * Two engines, chosen once per pattern when a rule set is applied (the result is cached by
 * source, so a refresh that keeps a pattern does not pay again):
 *
 * 1. RE2 (re2js, linear time) whenever the pattern compiles there, `.` first rewritten to Java's
 *    meaning (anything but `\n \r U+0085 U+2028 U+2029`; RE2's `.` only excludes `\n`). This is
 *    every sandbox rule but the three Nepal ones.
 * 2. Otherwise (lookahead, lookbehind: `^NCHL(?!00000000).{8}.*`) V8's backtracking RegExp, only
 *    when `recheck` (a ReDoS analyser, run in its pure-JavaScript backend, no binary, no JVM)
 *    proves the pattern safe, i.e. matching in linear time; "vulnerable" or "unknown" patterns
 *    never match. As a second guard every match is timed: a pattern that takes more than
 *    MATCH_BUDGET_MS on OVERRUNS_TO_SWITCH_OFF codes in a row is switched off for the life of the
 *    rule set (it then never matches, as a pattern Java could not compile).
 *
 * Measured here: recheck takes about 1 s for the first pattern (its Scala.js runtime warms up),
 * then 1-150 ms per pattern; RE2 compiles in microseconds. On a busy machine the first took 4.9 s.
 * So the rule book does not analyse on the event loop: `parseWithRegexAnalysis` first collects the
 * patterns that need a verdict, has recheck analyse them in a worker thread of ours (ended after
 * the batch; OFF_THREAD_ANALYSIS_MS each, while requests go on being served), then parses with
 * every verdict known. A direct `compileJavaRegex` of an unanalysed pattern still analyses it in place.
 *
 * A pattern that compiles nowhere gives undefined: the rule never matches (fact 4).
 */

export interface JavaRegex {
  readonly source: string;
  readonly engine: 'RE2' | 'BACKTRACKING';
  /** Literal text every whole match starts with ('' when unknown): lets a code be turned away early. */
  readonly literalPrefix: string;
  /** Java's `matcher(input).matches()`: the whole input. */
  matches(input: string): boolean;
  /** Java's `matcher(input).find()` then `group(1)`: undefined when nothing is found or no group 1. */
  firstGroupOfFind(input: string): string | undefined;
}

export type JavaRegexResult = { readonly ok: true; readonly regex: JavaRegex } | { readonly ok: false; readonly reason: string };

/** A backtracking match slower than this is an overrun (the step budget, in time). */
export const MATCH_BUDGET_MS = 50;
/**
 * Consecutive overruns that switch a pattern off for the life of its set. One is not enough: a GC
 * pause or a busy machine can hold any match past the budget, and a pattern recheck proved linear
 * would then be lost for the set (the corpus test's Nepal codes failed that way under a load of 10).
 */
export const OVERRUNS_TO_SWITCH_OFF = 3;
/** recheck's analysis budget per pattern, on the calling thread. */
const RECHECK_TIMEOUT_MS = 3000;
/** recheck's analysis budget per pattern in its worker thread: nothing waits on it but the set. */
export const OFF_THREAD_ANALYSIS_MS = 60_000;
const cache = new Map<string, JavaRegexResult>();
/** recheck's verdicts by JavaScript source, from the worker thread (`safe`, `vulnerable`, `unknown`). */
const verdicts = new Map<string, string>();
/** While set, unanalysed patterns are collected here instead of analysed (see parseWithRegexAnalysis). */
let collecting: Set<string> | undefined;
const CACHE_LIMIT = 10_000;

export interface JavaRegexOptions {
  /** The step budget of a backtracking match (default MATCH_BUDGET_MS); another value is not cached. */
  readonly budgetMs?: number;
  /** recheck's analysis budget (default RECHECK_TIMEOUT_MS). */
  readonly analysisTimeoutMs?: number;
}

export function compileJavaRegex(source: string, o: JavaRegexOptions = {}): JavaRegexResult {
  const defaults = o.budgetMs === undefined && o.analysisTimeoutMs === undefined;
  const cached = defaults ? cache.get(source) : undefined;
  if (cached) return cached;
  const result = compileUncached(source, o.budgetMs ?? MATCH_BUDGET_MS, o.analysisTimeoutMs ?? RECHECK_TIMEOUT_MS);
  // An analysis that ran out of time is not a verdict: the next application of a set tries again. A
  // backtracking regex is made anew for each set (its verdict is kept): its switch-off is the set's.
  const keep = result.ok ? result.regex.engine === 'RE2' : !result.reason.includes(INCONCLUSIVE);
  if (o.budgetMs === undefined && keep) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(source, result);
  }
  return result;
}

function compileUncached(source: string, budgetMs: number, analysisTimeoutMs: number): JavaRegexResult {
  if (source.length > MAX_REGEX_SOURCE_LENGTH) return fail(`regex longer than ${MAX_REGEX_SOURCE_LENGTH} characters`);
  const translated = withJavaDots(source);
  let re2Reason: string;
  try {
    const compiled = RE2JS.compile(translated.re2);
    if (compiled.programSize() <= MAX_REGEX_PROGRAM_SIZE) return { ok: true, regex: re2Regex(source, compiled) };
    re2Reason = `RE2 program larger than ${MAX_REGEX_PROGRAM_SIZE} instructions`;
  } catch (err) {
    re2Reason = err instanceof Error ? err.message : 'syntax error';
  }
  let native: RegExp;
  try {
    native = new RegExp(translated.js);
  } catch (err) {
    return fail(`regex compiles neither for RE2 (${re2Reason}) nor as a backtracking regex (${errorText(err)})`);
  }
  const verdict = redosVerdict(translated.js, analysisTimeoutMs);
  if (verdict !== 'safe') return fail(`regex is not RE2 (${re2Reason}) and its ReDoS analysis says ${verdict}`);
  return { ok: true, regex: backtrackingRegex(source, native, budgetMs) };
}

function fail(reason: string): JavaRegexResult {
  return { ok: false, reason };
}

function re2Regex(source: string, compiled: RE2JS): JavaRegex {
  const prefix = re2LiteralPrefix(compiled, source);
  return {
    source,
    engine: 'RE2',
    literalPrefix: prefix,
    matches: (input) => input.startsWith(prefix) && compiled.testExact(input),
    firstGroupOfFind(input) {
      const m = compiled.matcher(input);
      if (!m.find() || m.groupCount() < 1) return undefined;
      return m.group(1) ?? undefined;
    },
  };
}

/** RE2's literal prefix; after a leading `^` (always true at 0 for a whole match) from the rest. */
function re2LiteralPrefix(compiled: RE2JS, source: string): string {
  const prefix = prefixOf(compiled);
  if (prefix || !source.startsWith('^')) return prefix;
  try {
    return prefixOf(RE2JS.compile(withJavaDots(source.slice(1)).re2));
  } catch {
    return '';
  }
}

function prefixOf(compiled: RE2JS): string {
  const prefix: unknown = compiled.re2().prefix;
  return typeof prefix === 'string' ? prefix : '';
}

function backtrackingRegex(source: string, native: RegExp, budgetMs: number): JavaRegex {
  const whole = new RegExp(`^(?:${native.source})$`);
  let overruns = 0;
  const timed = <T>(run: () => T, off: T): T => {
    if (overruns >= OVERRUNS_TO_SWITCH_OFF) return off;
    const t0 = performance.now();
    const value = run();
    overruns = performance.now() - t0 > budgetMs ? overruns + 1 : 0;
    return value;
  };
  return {
    source,
    engine: 'BACKTRACKING',
    literalPrefix: '',
    matches: (input) => timed(() => whole.test(input), false),
    firstGroupOfFind: (input) => timed(() => native.exec(input)?.[1], undefined),
  };
}

const INCONCLUSIVE = 'inconclusive';
let recheckWarm = false;

/**
 * Runs `parse` (which compiles a rule set's regexes) once with every pattern's ReDoS verdict known:
 * the patterns RE2 cannot run and that have no verdict yet are analysed off the event loop first.
 */
export async function parseWithRegexAnalysis<T>(parse: () => T, o: { readonly timeoutMs?: number } = {}): Promise<T> {
  const pending = new Set<string>();
  const first = collectingInto(pending, parse);
  if (pending.size === 0) return first;
  await analyseOffThread(pending, o.timeoutMs ?? OFF_THREAD_ANALYSIS_MS);
  // A pattern whose analysis gave no verdict stays off in this set; it is not analysed in place.
  return collectingInto(new Set(), parse);
}

function collectingInto<T>(pending: Set<string>, parse: () => T): T {
  collecting = pending;
  try {
    return parse();
  } finally {
    collecting = undefined;
  }
}

/**
 * recheck's pure-JavaScript analyser in a worker thread of our own, ended when the batch is done:
 * recheck's own `worker` backend keeps its thread (about 65 MB) for the life of the process.
 */
async function analyseOffThread(jsSources: Iterable<string>, timeoutMs: number): Promise<void> {
  const sources = [...jsSources];
  const worker = new Worker(ANALYSIS_WORKER, { eval: true, workerData: { recheck: require.resolve('recheck'), sources, timeoutMs } });
  try {
    const answers = await new Promise<readonly (string | null)[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`ReDoS analysis worker exited with ${code}`)));
    });
    // A timed-out analysis (null) is not a verdict: the pattern stays off and the next application tries again.
    answers.forEach((status, i) => status && rememberVerdict(sources[i]!, status));
  } catch {
    // No verdicts: these patterns never match in this set (redosVerdict says why).
  } finally {
    await worker.terminate();
  }
}

const require = createRequire(import.meta.url);
const ANALYSIS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
process.env.RECHECK_SYNC_BACKEND = 'pure';
const { checkSync } = require(workerData.recheck);
parentPort.postMessage(workerData.sources.map((source) => {
  try {
    const d = checkSync(source, '', { timeout: workerData.timeoutMs });
    return d.status === 'unknown' && d.error && d.error.kind === 'timeout' ? null : d.status;
  } catch {
    return null;
  }
}));
`;

/** Kept as the compiled regexes are: bounded, all forgotten at the limit (a later set analyses again). */
function rememberVerdict(jsSource: string, status: string): void {
  if (verdicts.size >= CACHE_LIMIT) verdicts.clear();
  verdicts.set(jsSource, status);
}

/** recheck's verdict on a pattern (JavaScript dialect): `safe`, `vulnerable`, `unknown`, or inconclusive. */
function redosVerdict(jsSource: string, timeoutMs: number): string {
  const known = verdicts.get(jsSource);
  if (known) return known;
  if (collecting) {
    collecting.add(jsSource);
    return `${INCONCLUSIVE} (not analysed yet)`;
  }
  // The pure-JavaScript backend: no native binary, no JVM, no worker thread.
  process.env['RECHECK_SYNC_BACKEND'] ??= 'pure';
  try {
    if (!recheckWarm) {
      // Its first call starts recheck's runtime (about 1 s, more on a busy machine): not the pattern's time.
      checkSync('a', '', { timeout: null });
      recheckWarm = true;
    }
    const diagnostics = checkSync(jsSource, '', { timeout: timeoutMs });
    if (diagnostics.status === 'unknown' && diagnostics.error?.kind === 'timeout') return `${INCONCLUSIVE} (timed out)`;
    rememberVerdict(jsSource, diagnostics.status);
    return diagnostics.status;
  } catch (err) {
    return `${INCONCLUSIVE} (${errorText(err)})`;
  }
}

// ---- Java's `.` ----

/** What Java's `.` matches when DOTALL is off. */
const JAVA_DOT_RE2 = '[^\\n\\r\\x{85}\\x{2028}\\x{2029}]';
const JAVA_DOT_JS = '[^\\n\\r\\u0085\\u2028\\u2029]';

/**
 * Rewrites every `.` outside character classes, escapes and `\Q...\E` into Java's meaning, for
 * each engine. A pattern that turns DOTALL on (`(?s)`) is left as it is: there `.` matches
 * everything in all three dialects. For JavaScript `\Q...\E` becomes escaped text too.
 */
function withJavaDots(source: string): { readonly re2: string; readonly js: string } {
  if (/\(\?[a-zA-Z]*s/.test(source)) return { re2: source, js: quoteLiterals(source) };
  let re2 = '';
  let js = '';
  let classDepth = 0; // 0 or 1
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      if (source[i + 1] === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = end < 0 ? source.slice(i + 2) : source.slice(i + 2, end);
        re2 += end < 0 ? source.slice(i) : source.slice(i, end + 2);
        js += escapeForJs(literal);
        i = end < 0 ? source.length : end + 1;
        continue;
      }
      const pair = source.slice(i, i + 2);
      re2 += pair;
      js += pair;
      i++;
      continue;
    }
    if (ch === '[' && classDepth === 0) {
      // One level: RE2 and JavaScript read a `[` inside a class as a member (Java's nested
      // classes are not supported). A `]` right after `[` or `[^` is a literal member.
      classDepth = 1;
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      re2 += source.slice(i, j);
      js += source.slice(i, j);
      i = j - 1;
      continue;
    }
    if (ch === ']' && classDepth > 0) classDepth--;
    if (ch === '.' && classDepth === 0) {
      re2 += JAVA_DOT_RE2;
      js += JAVA_DOT_JS;
      continue;
    }
    re2 += ch;
    js += ch;
  }
  return { re2, js };
}

function quoteLiterals(source: string): string {
  return source.replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_m, literal: string) => escapeForJs(literal));
}

function escapeForJs(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
