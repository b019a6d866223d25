import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, it, expect } from 'vitest';
import { compileWholeMatchRegex, MAX_REGEX_PROGRAM_SIZE, MAX_REGEX_SOURCE_LENGTH, type WholeMatchRegex } from '../../../src/domain/codes/safe-regex.ts';

function compiled(source: string): WholeMatchRegex {
  const result = compileWholeMatchRegex(source);
  if (!result.ok) throw new Error(`did not compile: ${result.reason}`);
  return result.regex;
}

/**
 * Wall time of the fastest of a few runs, in ms: a busy shared machine can delay any one run,
 * while a backtracking engine would take seconds (or years) on every one of them.
 */
function fastestMs(run: () => void, times = 3): number {
  let fastest = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return fastest;
}

describe('compileWholeMatchRegex', () => {
  it.each([
    ['a URL shape', 'https://qr\\.alipayplus\\.com/[0-9A-Za-z]{8,64}'],
    ['a numeric code', '28[0-9]{16,22}'],
    ['an optional alternation', '(http|https)://pay\\.example\\.com/.*'],
    ['a bounded repetition of an alternation', '(ab|cd){2,4}'],
    ['two wildcards', 'https://.*/.*'],
    ['a character class with brackets and escapes', '[\\]\\[a-z]+x'],
    ['a case-insensitive flag, as Java writes it', '(?i)https://qr\\.example\\.com/.*'],
    // What backtracking engines choke on is harmless on RE2, so it is accepted:
    ['nested quantifiers', '(a+)+b'],
    ['an unbounded repetition of overlapping alternatives', '(a|a)*'],
    ['three unbounded wildcards', '.*a.*a.*b'],
  ])('accepts %s', (_name, source) => {
    expect(compileWholeMatchRegex(source).ok).toBe(true);
  });

  it.each([
    ['an empty regex', '', 'empty'],
    ['an over-long regex', 'a'.repeat(MAX_REGEX_SOURCE_LENGTH + 1), 'longer than'],
    ['a regex that does not compile', '(abc', 'does not compile'],
    ['a source with an unbalanced group', 'a)|(b', 'does not compile'],
    ['a numeric backreference', '(a)\\1', 'does not compile'],
    ['a named backreference', '(?<x>a)\\k<x>', 'does not compile'],
    ['a lookahead', '(?=.{10,20}$)[a-z]+', 'does not compile'],
    ['a negative lookahead', '(?!abc)[a-z]+', 'does not compile'],
    ['a possessive quantifier', 'a++b', 'does not compile'],
    ['a repetition count above 1000', 'a{1001}', 'does not compile'],
    ['nested repetition counts above 1000 in all', '(a{100}){100}', 'does not compile'],
    ['a program too large for the budget', '[^x]{1,400}[^y]{1,400}z', 'too large'],
  ])('rejects %s', (_name, source, reason) => {
    const result = compileWholeMatchRegex(source);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('matches the whole input only', () => {
    const regex = compiled('abc|def');
    expect(regex.matches('abc')).toBe(true);
    expect(regex.matches('def')).toBe(true);
    expect(regex.matches('xabc')).toBe(false);
    expect(regex.matches('abcx')).toBe(false);
    expect(regex.matches('abc\n')).toBe(false);
    expect(compiled('a|ab').matches('ab')).toBe(true); // like Java's String.matches, not leftmost-first
  });

  it('answers as RE2 itself does on any input (the literal-prefix shortcut changes nothing)', () => {
    const sources = [
      'P5-[0-9]{2,4}',
      'ab|abd',
      'ab(?i)c',
      '(?i)ab',
      'a*b',
      'https://x\\.y/.*',
      '(ab)+|b',
      'é[a-b]?',
      // a leading ^ (the prefix is then taken from the rest of the pattern)
      '^P5-[0-9]{2,4}$',
      '^ab|c',
      '^^ab',
      '^(?m)ab',
      '^(?i)ab',
      '^a*b',
      '^(ab|ac)d',
      '^*ab',
    ];
    const input = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', 'C', 'd', 'P', '5', '-', '1', 'é', '/', 'x'), maxLength: 8 });
    for (const source of sources) {
      const ours = compiled(source);
      const plain = RE2JS.compile(source);
      fc.assert(
        fc.property(input, (code) => ours.matches(code) === plain.testExact(code)),
        { numRuns: 300 },
      );
      fc.assert(
        fc.property(input, (tail) => ours.matches(`P5-${tail}`) === plain.testExact(`P5-${tail}`)),
        { numRuns: 100 },
      );
    }
  });

  it('is case-sensitive unless the pattern says (?i)', () => {
    expect(compiled('abc').matches('ABC')).toBe(false);
    expect(compiled('(?i)abc').matches('ABC')).toBe(true);
  });

  describe('linear time whatever the pattern (RE2)', () => {
    const long = 'a'.repeat(10_000);

    it.each([
      ['(a|a)*', `${long}b`],
      ['(?:(a|a)*)', long],
      ['(a+)+b', long],
      ['(x+x+)+y', 'x'.repeat(10_000)],
      ['.*a.*a.*b', long],
      ['(\\d+)*\\d*x', '1'.repeat(10_000)],
    ])('%s on a 10,000-character input finishes in well under 100 ms', (source, input) => {
      const regex = compiled(source);
      expect(fastestMs(() => regex.matches(input))).toBeLessThan(100);
    });

    it('a regex at the program-size cap stays fast on an adversarial 8192-character code', () => {
      const source = '[^x]{1,240}[^y]{1,240}z';
      const result = compileWholeMatchRegex(source);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const codes = ['a'.repeat(8192), 'ab'.repeat(4096)];
      // About 30 ms measured on the 2-core build machine; the bound leaves room for a loaded CI.
      expect(fastestMs(() => codes.forEach((c) => result.regex.matches(c)))).toBeLessThan(500);
      expect(MAX_REGEX_PROGRAM_SIZE).toBeLessThanOrEqual(1000);
    });
  });
});
