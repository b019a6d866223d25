import safeRegex from 'safe-regex2';

/**
 * Regexes that arrive from outside (Alipay+ code rules, ops-managed code lists) run on every
 * identification, on the event loop. One catastrophic pattern would stall the server, so each is
 * checked once, at load, and compiled once:
 *
 * 1. at most MAX_REGEX_SOURCE_LENGTH characters;
 * 2. a valid JavaScript regex on its own (before we wrap it, so that a source like `a)|(b` cannot
 *    escape the anchoring group);
 * 3. safe-regex2: star height at most 1 (no nested quantifiers such as `(a+)+`) and at most 25
 *    quantifiers in all;
 * 4. gaps that safe-regex2 leaves open, found by a linear scan of the source (measured on V8:
 *    `^(?:(a|a)*)$` takes 14 s on 29 characters, `.*a.*a.*b` 0.17 s on 1,000):
 *    - no unbounded quantifier (`*`, `+`, `{n,}`) on a group that contains an alternation, e.g.
 *      `(a|aa)*`: overlapping alternatives under a star backtrack exponentially (write a
 *      character class where it can: `(a|b)*` is `[ab]*`);
 *    - at most MAX_UNBOUNDED_WILDCARDS unbounded quantifiers on a wide atom (`.`, `\S`, `\W`,
 *      `\D`, `[^...]`): three `.*` in a row is already a cubic scan of an 8192-character code;
 *    - no backreferences (`\1`, `\k<name>`), which make matching NP-hard.
 *
 * This is a conservative heuristic, not a proof: it rejects some harmless patterns and cannot
 * rule out every polynomial case (e.g. `\d+\d+\d+`). The code value is bounded to 8192
 * characters, which bounds what a surviving polynomial pattern can cost.
 *
 * The compiled regex matches the WHOLE input (§6: "the whole code must match"): `^(?:src)$`,
 * no flags (case-sensitive, `.` stops at line breaks, as in Java's `String.matches`).
 */

export const MAX_REGEX_SOURCE_LENGTH = 512;
const MAX_UNBOUNDED_WILDCARDS = 2;

export type SafeRegexResult =
  | { readonly ok: true; readonly regex: RegExp }
  | { readonly ok: false; readonly reason: string };

export function compileWholeMatchRegex(source: string): SafeRegexResult {
  if (source.length === 0) return { ok: false, reason: 'regex is empty' };
  if (source.length > MAX_REGEX_SOURCE_LENGTH) {
    return { ok: false, reason: `regex longer than ${MAX_REGEX_SOURCE_LENGTH} characters` };
  }
  if (!compiles(source)) return { ok: false, reason: 'regex does not compile' };
  if (!safeRegex(source)) {
    return { ok: false, reason: 'regex is unsafe (nested or too many quantifiers) or beyond the check (lookbehind)' };
  }
  const scanned = scanForBacktrackingTraps(source);
  if (scanned) return { ok: false, reason: `regex is unsafe (${scanned})` };
  return { ok: true, regex: new RegExp(`^(?:${source})$`) };
}

function compiles(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

// ---- the source scan of point 4 ----

type Atom = { kind: 'none' } | { kind: 'plain'; wide: boolean } | { kind: 'group'; hasAlternation: boolean };

interface ScanState {
  readonly groups: { hasAlternation: boolean }[];
  last: Atom;
  unboundedWildcards: number;
}

/** Returns the problem found, or undefined. Linear in the source length. */
function scanForBacktrackingTraps(src: string): string | undefined {
  const state: ScanState = { groups: [], last: { kind: 'none' }, unboundedWildcards: 0 };
  let i = 0;
  while (i < src.length) {
    const step = scanOne(src, i, state);
    if (typeof step === 'string') return step;
    i = step;
  }
  return undefined;
}

/** Consumes one token at `i`; returns the next index or a problem. */
function scanOne(src: string, i: number, state: ScanState): number | string {
  const c = src[i];
  switch (c) {
    case '\\':
      return scanEscape(src, i, state);
    case '[':
      return scanClass(src, i, state);
    case '(':
      state.groups.push({ hasAlternation: false });
      state.last = { kind: 'none' };
      return i + 1;
    case ')':
      return closeGroup(state, i);
    case '|':
      markAlternation(state);
      state.last = { kind: 'none' };
      return i + 1;
    case '*':
    case '+':
    case '?':
      return applyQuantifier(src, i + 1, c !== '?', state);
    case '{': {
      const q = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (!q) break; // a literal brace outside a quantifier
      return applyQuantifier(src, i + q[0].length, q[2] !== undefined && q[3] === '', state);
    }
    case '^':
    case '$':
      state.last = { kind: 'none' };
      return i + 1;
    case '.':
      state.last = { kind: 'plain', wide: true };
      return i + 1;
  }
  state.last = { kind: 'plain', wide: false };
  return i + 1;
}

function scanEscape(src: string, i: number, state: ScanState): number | string {
  const next = src[i + 1] ?? '';
  if (/[1-9]/.test(next) || (next === 'k' && src[i + 2] === '<')) return 'backreference';
  state.last = { kind: 'plain', wide: next === 'S' || next === 'W' || next === 'D' };
  return i + 2;
}

/** A character class `[...]` is one atom; `[^...]` is a wide one. */
function scanClass(src: string, i: number, state: ScanState): number {
  const negated = src[i + 1] === '^';
  let j = negated ? i + 2 : i + 1;
  while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
  state.last = { kind: 'plain', wide: negated };
  return j + 1;
}

function closeGroup(state: ScanState, i: number): number {
  const group = state.groups.pop() ?? { hasAlternation: false };
  // an alternation nested anywhere inside makes the enclosing group ambiguous too
  const parent = state.groups[state.groups.length - 1];
  if (parent && group.hasAlternation) parent.hasAlternation = true;
  state.last = { kind: 'group', hasAlternation: group.hasAlternation };
  return i + 1;
}

function markAlternation(state: ScanState): void {
  const group = state.groups[state.groups.length - 1];
  if (group) group.hasAlternation = true;
}

function applyQuantifier(src: string, next: number, unbounded: boolean, state: ScanState): number | string {
  const atom = state.last;
  if (unbounded && atom.kind === 'group' && atom.hasAlternation) return 'unbounded repetition of an alternation';
  if (unbounded && atom.kind === 'plain' && atom.wide) state.unboundedWildcards++;
  if (state.unboundedWildcards > MAX_UNBOUNDED_WILDCARDS) return 'too many unbounded wildcards';
  state.last = { kind: 'none' };
  return src[next] === '?' ? next + 1 : next; // lazy quantifier suffix
}
