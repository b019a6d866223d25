import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { InvalidCodeValue } from '../../../src/domain/codes/code-value.ts';
import { ParamIllegal } from '../../../src/domain/errors.ts';
import {
  checkListPattern,
  compileCodeLists,
  EMPTY_CODE_LISTS,
  identifyCode,
  patternSetMatches,
  type CodeListEntry,
  type IdentificationMode,
} from '../../../src/domain/codes/lists.ts';
import { merchantQr, prefixRule, ruleSetOf, emvRule, mai } from './fixtures.ts';

const local = (pattern: string, patternType: 'PREFIX' | 'REGEX' = 'PREFIX'): CodeListEntry => ({ kind: 'LOCAL', patternType, pattern });
const allow = (pattern: string, patternType: 'PREFIX' | 'REGEX' = 'PREFIX'): CodeListEntry => ({ kind: 'ALLOWLIST', patternType, pattern });
const block = (pattern: string, patternType: 'PREFIX' | 'REGEX' = 'PREFIX'): CodeListEntry => ({ kind: 'BLOCKLIST', patternType, pattern });

describe('compiled code lists', () => {
  it('matches prefixes case-insensitively', () => {
    const { lists } = compileCodeLists([local('https://pay.mywallet.com/')]);
    expect(patternSetMatches(lists.local, 'HTTPS://PAY.MYWALLET.COM/Q/1')).toBe(true);
    expect(patternSetMatches(lists.local, 'https://pay.mywallet.co/')).toBe(false);
  });

  it('matches regexes against the whole code, case-sensitively', () => {
    const { lists } = compileCodeLists([local('MW[0-9]{10}', 'REGEX')]);
    expect(patternSetMatches(lists.local, 'MW0123456789')).toBe(true);
    expect(patternSetMatches(lists.local, 'MW01234567890')).toBe(false);
    expect(patternSetMatches(lists.local, 'mw0123456789')).toBe(false);
  });

  it('finds a short prefix even when longer entries sort between it and the code', () => {
    const { lists } = compileCodeLists([local('ab'), local('abc-x'), local('abz'), local('b')]);
    expect(lists.local.prefixes).toEqual(['ab', 'b']); // covered entries dropped
    expect(patternSetMatches(lists.local, 'abd')).toBe(true);
    expect(patternSetMatches(lists.local, 'aa')).toBe(false);
  });

  it('agrees with a naive scan on any prefixes and codes', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'B', 'c', '/'), maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(
          text.filter((s) => s.trim() !== ''),
          { maxLength: 30 },
        ),
        text,
        (prefixes, code) => {
          const { lists } = compileCodeLists(prefixes.map((p) => local(p)));
          const naive = prefixes.some((p) => code.toLowerCase().startsWith(p.toLowerCase()));
          expect(patternSetMatches(lists.local, code)).toBe(naive);
        },
      ),
    );
  });

  it("finds each regex by its literal prefix, whatever the prefixes' lengths, and tries the ones without a prefix on every code", () => {
    const { lists } = compileCodeLists([
      local('^https://a\\.example/[0-9]+', 'REGEX'),
      local('https://bb\\.example/x[0-9]{2}', 'REGEX'),
      local('P5-[0-9]{4}', 'REGEX'),
      local('P5-[A-Z]{4}', 'REGEX'),
      local('(?i)mw[0-9]{3}', 'REGEX'),
      local('https://a-rather-long-host\\.example/pay/[0-9]+', 'REGEX'), // a literal prefix past KEY_LENGTH
    ]);
    expect(lists.local.regexes.keyLengths).toEqual([3, 18, 20, 32]);
    expect(lists.local.regexes.byKey.get('P5-')).toHaveLength(2);
    expect(lists.local.regexes.unkeyed).toHaveLength(1);
    for (const code of ['https://a.example/12', 'https://bb.example/x42', 'P5-1234', 'P5-ABCD', 'MW123', 'mw123', 'https://a-rather-long-host.example/pay/7']) {
      expect(patternSetMatches(lists.local, code), code).toBe(true);
    }
    for (const code of ['https://a.example/', 'https://bb.example/x4', 'P5-12345', 'P5', 'mw12', '', 'https://a-rather-long-host.example/pa/7']) {
      expect(patternSetMatches(lists.local, code), code).toBe(false);
    }
  });

  it('agrees with RE2 run on every regex, on any regexes and codes', () => {
    const literal = fc.string({ unit: fc.constantFrom('a', 'b', '/'), maxLength: 4 });
    const pattern = fc
      .tuple(fc.constantFrom('', '^', '(?i)'), literal, fc.constantFrom('', '[0-9]*', '.*', 'b?', '[ab]+', '(a|1)'))
      .map(([head, text, tail]) => head + text + tail)
      .filter((p) => !['', '^', '(?i)'].includes(p));
    const code = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '/', '1'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 20 }), code, (patterns, c) => {
        const { lists, rejected } = compileCodeLists(patterns.map((p) => local(p, 'REGEX')));
        expect(rejected).toEqual([]);
        expect(patternSetMatches(lists.local, c)).toBe(patterns.some((p) => RE2JS.compile(p).matches(c)));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps each kind in its own list', () => {
    const { lists } = compileCodeLists([local('l'), allow('a'), block('b')]);
    expect([lists.local.prefixes, lists.allowlist.prefixes, lists.blocklist.prefixes]).toEqual([['l'], ['a'], ['b']]);
  });

  it.each([
    ['a blank prefix', local('  '), 'blank'],
    ['a regex RE2 cannot run in linear time (backreference)', local('(x)\\1', 'REGEX'), 'RE2'],
    ['an over-long regex', allow('a'.repeat(513), 'REGEX'), 'longer than'],
    ['a regex that does not compile', block('(', 'REGEX'), 'does not compile'],
  ])('rejects %s and keeps the other entries', (_name, entry, reason) => {
    const { lists, rejected } = compileCodeLists([local('ok'), entry]);
    expect(rejected).toEqual([{ entry, reason: expect.stringContaining(reason) }]);
    expect(patternSetMatches(lists.local, 'ok!')).toBe(true);
  });

  it('offers the same check to ops before an entry is stored', () => {
    expect(checkListPattern('PREFIX', 'https://pay.mywallet.com/')).toEqual({ ok: true });
    expect(checkListPattern('REGEX', '(?=a)a+')).toMatchObject({ ok: false, reason: expect.stringContaining('RE2') });
    expect(checkListPattern('REGEX', '(a|a)*')).toEqual({ ok: true }); // harmless on a linear-time engine
  });
});

describe('identifyCode: solution modes (§6)', () => {
  const ruleSet = ruleSetOf(prefixRule('https://qr.alipayplus.com/', { matchResult: { routerType: 'AC_CODE', trust: 'Y' } }), emvRule(mai({ '00': 'com.alipayplus' })));
  const { lists } = compileCodeLists([
    local('https://pay.mywallet.com/'),
    allow('https://qr.alipayplus.com/partner/'),
    block('https://qr.alipayplus.com/fraud/'),
    block('EVIL[0-9]+', 'REGEX'),
  ]);
  const identify = (mode: IdentificationMode, codeValue: string) => identifyCode({ mode, lists, ruleSet, codeValue, issuer: 'SANDBOX_CLIENT' });

  it.each<[IdentificationMode, string, string, boolean]>([
    // allowlist mode: local or allowlisted -> ours; else Alipay+ rules
    ['ALLOWLIST', 'https://pay.mywallet.com/q/1', 'LOCAL', false],
    ['ALLOWLIST', 'https://qr.alipayplus.com/partner/9', 'ALLOWLIST', false],
    ['ALLOWLIST', 'https://qr.alipayplus.com/fraud/1', 'ALIPAYPLUS', true], // the blocklist plays no part
    ['ALLOWLIST', 'https://qr.alipayplus.com/28166613', 'ALIPAYPLUS', true],
    ['ALLOWLIST', 'https://unknown.example/', 'UNKNOWN', false],
    // blocklist mode: blocklisted -> refused; local -> ours; else Alipay+ rules
    ['BLOCKLIST', 'https://qr.alipayplus.com/fraud/1', 'BLOCKLIST', false],
    ['BLOCKLIST', 'EVIL42', 'BLOCKLIST', false],
    ['BLOCKLIST', 'https://pay.mywallet.com/q/1', 'LOCAL', false],
    ['BLOCKLIST', 'https://qr.alipayplus.com/partner/9', 'ALIPAYPLUS', true], // the allowlist plays no part
    ['BLOCKLIST', 'https://unknown.example/', 'UNKNOWN', false],
  ])('%s mode: %s -> %s (isAcCode %s)', (mode, code, source, isAcCode) => {
    expect(identify(mode, code)).toMatchObject({ source, isAcCode });
  });

  it('checks the blocklist before the local codes in blocklist mode', () => {
    const both = compileCodeLists([local('https://pay.mywallet.com/'), block('https://pay.mywallet.com/stolen/')]).lists;
    const answer = identifyCode({ mode: 'BLOCKLIST', lists: both, ruleSet, codeValue: 'https://pay.mywallet.com/stolen/1', issuer: 'X' });
    expect(answer).toEqual({ source: 'BLOCKLIST', isAcCode: false });
  });

  it('answers an Alipay+ code with the action fields and without the rule', () => {
    expect(identify('ALLOWLIST', 'https://qr.alipayplus.com/281666130001')).toEqual({
      source: 'ALIPAYPLUS',
      isAcCode: true,
      postCodeMatchActionType: 'DECODE',
      acDecodeConfig: '{"routerType":"AC_CODE"}',
    });
  });

  it('identifies an EMVCo code through the rules when no list claims it', () => {
    const code = merchantQr([['26', [['00', 'com.alipayplus']]]]);
    expect(identify('ALLOWLIST', code)).toMatchObject({ source: 'ALIPAYPLUS', isAcCode: true });
  });

  it('works with empty lists', () => {
    const answer = identifyCode({ mode: 'ALLOWLIST', lists: EMPTY_CODE_LISTS, ruleSet, codeValue: 'hello', issuer: 'X' });
    expect(answer).toEqual({ source: 'UNKNOWN', isAcCode: false });
  });

  it.each([
    ['an empty code', '', 'BLANK'],
    ['a blank code', ' \t\n', 'BLANK'],
    ['a code of 8193 characters', 'a'.repeat(8193), 'TOO_LONG'],
  ])('refuses %s with F PARAM_ILLEGAL', (_name, codeValue, problem) => {
    const attempt = () => identify('ALLOWLIST', codeValue);
    expect(attempt).toThrow(InvalidCodeValue);
    try {
      attempt();
    } catch (e) {
      expect(e).toBeInstanceOf(ParamIllegal);
      expect(e).toMatchObject({ code: 'PARAM_ILLEGAL', field: 'codeValue', problem });
    }
  });

  it('accepts a code of exactly 8192 characters', () => {
    expect(identify('ALLOWLIST', 'a'.repeat(8192))).toEqual({ source: 'UNKNOWN', isAcCode: false });
  });
});
