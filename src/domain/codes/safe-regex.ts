import { RE2JS } from 're2js';

/**
 * Regexes that ops manage (code lists, §6; Alipay+ rule regexes go through java-regex.ts, which
 * uses this engine first and its caps) run on every
 * identification, on the event loop. They run on RE2 (the `re2js` port), never on V8's
 * backtracking RegExp: RE2 matches in time linear in the input whatever the pattern, so
 * `(a|a)*`, `(a+)+b` or `.*a.*a.*b` cannot stall the server. The linear factor is the size of the
 * compiled program, so that is capped too:
 *
 * 1. at most MAX_REGEX_SOURCE_LENGTH characters of source;
 * 2. RE2 syntax (close to Java's, which Alipay+ writes its rules in): what RE2 cannot run in
 *    linear time does not compile and is refused with RE2's reason, e.g. backreferences (`\1`,
 *    `\k<x>`), lookaround (`(?=`, `(?!`, `(?<=`), possessive quantifiers (`a++`); repetition
 *    counts above 1000, nested ones included (`(a{100}){100}`), are refused by RE2 itself;
 * 3. a compiled program of at most MAX_REGEX_PROGRAM_SIZE instructions. Measured on the busy
 *    2-core build machine: the worst patterns near the cap (`(.?){248}b`, `(.*a){200}`) take
 *    15-70 ms on an adversarial 8192-character code, most patterns near it under 2 ms; ordinary
 *    rules are far below the cap (`https://qr\.alipayplus\.com/[0-9A-Za-z]{8,64}` is 148,
 *    `28[0-9]{16,22}` is 32) and take microseconds.
 *
 * The compiled regex matches the WHOLE input (§6: "the whole code must match", as Java's
 * `String.matches`), with RE2's defaults: case-sensitive unless the pattern says `(?i)`, `.` does
 * not match `\n`.
 */

export const MAX_REGEX_SOURCE_LENGTH = 512;
export const MAX_REGEX_PROGRAM_SIZE = 1000;

/** A regex compiled for linear-time, whole-input matching. */
export interface WholeMatchRegex {
  readonly source: string;
  /** Literal text every matching input starts with ('' when there is none). */
  readonly literalPrefix: string;
  /** True when the whole input matches. Linear in the input length. */
  matches(input: string): boolean;
}

export type SafeRegexResult = { readonly ok: true; readonly regex: WholeMatchRegex } | { readonly ok: false; readonly reason: string };

export function compileWholeMatchRegex(source: string): SafeRegexResult {
  if (source.length === 0) return { ok: false, reason: 'regex is empty' };
  if (source.length > MAX_REGEX_SOURCE_LENGTH) {
    return { ok: false, reason: `regex longer than ${MAX_REGEX_SOURCE_LENGTH} characters` };
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : 'syntax error';
    return { ok: false, reason: `regex does not compile for the linear-time engine (RE2): ${why}` };
  }
  const size = compiled.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    return {
      ok: false,
      reason: `regex too large (RE2 program of ${size} instructions, at most ${MAX_REGEX_PROGRAM_SIZE}): use smaller repetition counts`,
    };
  }
  const prefix = literalPrefix(compiled, source);
  const matches = prefix ? (input: string) => input.startsWith(prefix) && compiled.testExact(input) : (input: string) => compiled.testExact(input);
  return { ok: true, regex: { source, literalPrefix: prefix, matches } };
}

/**
 * The literal text every match starts with, as RE2 computes it (`P5-` for `P5-[0-9]{4,12}`, none
 * for `(?i)...`). A whole-input match must start with it, so one startsWith turns most codes away
 * before the automaton runs: with hundreds of REGEX rules this is most of identify's cost.
 *
 * RE2 computes no prefix after a leading `^` (`^https://qr\.example/...`, the usual way rules
 * are written). For a whole-input match that `^` always holds at position 0, multi-line or not,
 * so the prefix is taken from the pattern without it; the pattern matched is still the original.
 */
function literalPrefix(compiled: RE2JS, source: string): string {
  const prefix = prefixOf(compiled);
  if (prefix || !source.startsWith('^')) return prefix;
  try {
    return prefixOf(RE2JS.compile(source.slice(1)));
  } catch {
    return '';
  }
}

function prefixOf(compiled: RE2JS): string {
  const prefix: unknown = compiled.re2().prefix;
  return typeof prefix === 'string' ? prefix : '';
}
