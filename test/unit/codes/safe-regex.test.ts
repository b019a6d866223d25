import { describe, it, expect } from 'vitest';
import { compileWholeMatchRegex, MAX_REGEX_SOURCE_LENGTH } from '../../../src/domain/codes/safe-regex.ts';

describe('compileWholeMatchRegex', () => {
  it.each([
    ['a URL shape', 'https://qr\\.alipayplus\\.com/[0-9A-Za-z]{8,64}'],
    ['a numeric code', '28[0-9]{16,22}'],
    ['an optional alternation', '(http|https)://pay\\.example\\.com/.*'],
    ['a bounded repetition of an alternation', '(ab|cd){2,4}'],
    ['two wildcards', 'https://.*/.*'],
    ['a lookahead', '(?=.{10,20}$)[a-z]+'],
    ['a character class with brackets and escapes', '[\\]\\[a-z]+x'],
  ])('accepts %s', (_name, source) => {
    expect(compileWholeMatchRegex(source).ok).toBe(true);
  });

  it.each([
    ['an empty regex', '', 'empty'],
    ['an over-long regex', 'a'.repeat(MAX_REGEX_SOURCE_LENGTH + 1), 'longer than'],
    ['a regex that does not compile', '(abc', 'does not compile'],
    ['a source that would escape the anchoring group', 'a)|(b', 'does not compile'],
    ['nested quantifiers (star height 2)', '(a+)+b', 'nested or too many'],
    ['a repeated group with a quantifier inside', '(\\d{4}-)*', 'nested or too many'],
    ['more than 25 quantifiers', 'a?'.repeat(26), 'nested or too many'],
    ['an unbounded repetition of overlapping alternatives', '(a|a)*', 'alternation'],
    ['an alternation nested in a repeated group', '((a|ab)c)+', 'alternation'],
    ['an open-ended {n,} repetition of an alternation', '(x|y){2,}', 'alternation'],
    ['three unbounded wildcards', '.*a.*a.*b', 'wildcards'],
    ['three unbounded negated classes', '[^/]+/[^/]+/[^/]+', 'wildcards'],
    ['a numeric backreference', '(a)\\1', 'backreference'],
    ['a named backreference', '(?<x>a)\\k<x>', 'backreference'],
  ])('rejects %s', (_name, source, reason) => {
    const result = compileWholeMatchRegex(source);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('anchors the regex so that it must match the whole input', () => {
    const result = compileWholeMatchRegex('abc|def');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.regex.test('abc')).toBe(true);
    expect(result.regex.test('def')).toBe(true);
    expect(result.regex.test('xabc')).toBe(false);
    expect(result.regex.test('abcx')).toBe(false);
    expect(result.regex.test('abc\n')).toBe(false);
  });
});
