/**
 * One describe per fact of code-identification-sdk.md (facts 1-16), each rule of the fact a test.
 * The corpus (sdk-corpus.test.ts) and emvco.test.ts (facts 9, 10) cover the sample families.
 */
import { describe, expect, it } from 'vitest';
import { javaCaseFold, javaUrlEncode } from '../../../src/domain/codes/java-text.ts';
import { compileJavaRegex, OFF_THREAD_ANALYSIS_MS, OVERRUNS_TO_SWITCH_OFF, parseWithRegexAnalysis } from '../../../src/domain/codes/java-regex.ts';
import { answerFromRemote, identifyWithRules, type RemoteIdentificationNeeded } from '../../../src/domain/codes/matcher.ts';
import { compileCodeRules, compileValuePattern, parseCodeRulesAnswer, supportedHere, type CodeRuleSet } from '../../../src/domain/codes/rules.ts';
import { emvQr, emvRule, extendInfo, legacyEmvRule, mai, openUrl, prefixRule, regexRule, ruleSetOf, subTag } from './fixtures.ts';

const ISSUER = 'SANDBOX_CLIENT';
const SUCCESS = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
const run = (set: CodeRuleSet, code: string) => identifyWithRules(set, code, { issuer: ISSUER });
const idOf = (rules: unknown[], code: string) => run(compileCodeRules('t', rules).ruleSet, code);
const account = (guid: string, ...more: [string, string][]) => ['26', [['00', guid], ...more]] as const;
const dyn = (expression: string) => openUrl({ urlConstructionMethod: 'CONSTRUCT_DYNAMIC_URL', dynamicUrlExpression: expression });

describe('fact 1: an unknown matchMethod invalidates the whole set', () => {
  it('refuses the set, and a case-different method counts as unknown', () => {
    const bad = { ...prefixRule('abc'), codeMatchPattern: { matchMethod: 'prefix', prefix: 'abc' } };
    const answer = parseCodeRulesAnswer({ result: SUCCESS, version: 'v2', codeRules: [prefixRule('x'), bad] });
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.reason).toMatch(/matchMethod "prefix".*whole set/);
  });

  it('keeps the rules in list order for ties', () => {
    const set = ruleSetOf(prefixRule('ab', { matchResult: { n: 1 } }), prefixRule('a', { matchResult: { n: 2 } }));
    expect(run(set, 'abc')).toMatchObject({ acDecodeConfig: '{"n":1}' });
  });
});

describe('fact 2: DECODE only when exactly DECODE', () => {
  it.each(['decode', 'OPEN_URL', 'SOMETHING', undefined])('reads %s as OPEN_URL', (type) => {
    const rule = prefixRule('abc', { action: { postCodeMatchActionType: type, urlConstructionMethod: 'USE_DIRECTLY' } as never });
    expect(run(ruleSetOf(rule), 'abc1')).toMatchObject({ isAcCode: true, postCodeMatchActionType: 'OPEN_URL', redirectUrl: 'abc1' });
  });
});

describe('fact 3: where an OPEN_URL rule reads its fields', () => {
  it('takes userAgent and emvUrlTag from postCodeMatchAction, never from matchResult', () => {
    const rule = prefixRule('abc', {
      action: openUrl({ urlConstructionMethod: 'USE_DIRECTLY', userAgent: 'FromAction' }),
      matchResult: { userAgent: 'FromMatchResult', emvUrlTag: 'merchantTag.01' },
    });
    expect(run(ruleSetOf(rule), 'abc')).toMatchObject({ userAgent: 'FromAction' });
    const extract = emvRule(mai({ '00': 'com.x' }), {
      action: openUrl({ urlConstructionMethod: 'EXTRACT_URL_FROM_EMVCODE' }),
      matchResult: { emvUrlTag: 'merchantTag.01' },
    });
    expect(run(ruleSetOf(extract), emvQr([account('com.x', ['01', 'https://u.example'])]))).toEqual({ isAcCode: false });
  });
});

describe('fact 4: PREFIX and REGEX rules', () => {
  it('loads a set whose regex does not compile; that rule never matches', () => {
    const { ruleSet, rejected } = compileCodeRules('t', [regexRule('(unclosed'), prefixRule('(unc', { priority: 20000 })]);
    expect(rejected).toEqual([]);
    expect(run(ruleSet, '(unclosed')).toMatchObject({ isAcCode: true, acDecodeConfig: '{"routerType":"AC_CODE"}' });
    expect(run(compileCodeRules('t', [regexRule('(unclosed')]).ruleSet, '(unclosed')).toEqual({ isAcCode: false });
  });

  it('takes priority from codeMatchPattern', () => {
    const set = ruleSetOf(prefixRule('a', { priority: 5, matchResult: { n: 'low' } }), regexRule('a.*', { priority: 4, matchResult: { n: 're' } }));
    expect(run(set, 'abc')).toMatchObject({ acDecodeConfig: '{"n":"re"}' });
  });
});

describe('fact 5: an EMVCO rule reads extendInfo.matchPattern', () => {
  const code = emvQr([account('com.x'), ['58', 'MY']]);

  it('uses matchPattern, not emvMatchRules, when extendInfo is not blank', () => {
    const rule = {
      codeMatchPattern: { matchMethod: 'EMVCO', emvMatchRules: [subTag('00', 'com.other')] },
      postCodeMatchAction: { postCodeMatchActionType: 'DECODE' },
      extendInfo: extendInfo({ r: 1 }, { merchantMaiRestrictions: { '00': 'com.x' }, countryCode: 'MY' }),
    };
    expect(idOf([rule], code)).toMatchObject({ isAcCode: true });
    expect(idOf([{ ...rule, extendInfo: extendInfo({ r: 1 }, { merchantMaiRestrictions: { '00': 'com.x' }, countryCode: 'SG' }) }], code).isAcCode).toBe(false);
  });

  it('never matches when a non-blank extendInfo has no matchPattern', () => {
    const rule = { ...legacyEmvRule([subTag('00', 'com.x')]), extendInfo: extendInfo({ routerType: 'AC_CODE' }) };
    expect(idOf([rule], code).isAcCode).toBe(false);
  });

  it('builds the pattern from emvMatchRules only when extendInfo is blank', () => {
    expect(idOf([legacyEmvRule([subTag('00', 'com.x')])], code)).toMatchObject({ isAcCode: true, acDecodeConfig: '' });
    expect(idOf([{ ...legacyEmvRule([subTag('00', 'com.x')]), extendInfo: '   ' }], code).isAcCode).toBe(true);
    // The primitive flag and tag come from the first entry only.
    const primitiveFirst = legacyEmvRule([{ primitiveMerchant: true, primitiveMerchantTag: '15' }, subTag('00', 'com.y')]);
    expect(idOf([primitiveFirst], emvQr([['15', '123']])).isAcCode).toBe(true);
  });

  it('takes the priority from matchPattern', () => {
    const a = emvRule(mai({ '00': 'com.x' }), { priority: 7, matchResult: { n: 'a' } });
    const b = { ...emvRule(mai({ '00': 'com.x' }), { priority: 8, matchResult: { n: 'b' } }), codeMatchPattern: { matchMethod: 'EMVCO', priority: 1 } };
    expect(idOf([b, a], code)).toMatchObject({ acDecodeConfig: '{"n":"a"}' });
  });

  it.each([
    ['pointOfInitiationMethod', '01', '12'],
    ['merchantCategoryCode', '52', '5812'],
    ['transactionCurrency', '53', '458'],
    ['transactionAmount', '54', '1.00'],
    ['convenienceIndicator', '55', '02'],
    ['valueOfConvenienceFeeFixed', '56', '0.50'],
    ['valueOfConvenienceFeePercentage', '57', '1.5'],
    ['countryCode', '58', 'MY'],
    ['merchantName', '59', 'SHOP'],
    ['merchantCity', '60', 'KL'],
    ['postalCode', '61', '50000'],
  ])('checks the root condition %s on tag %s', (name, tag, value) => {
    const rule = emvRule(mai({ '00': 'com.x' }, { [name]: value }));
    expect(idOf([rule], emvQr([account('com.x'), [tag, value]])).isAcCode).toBe(true);
    expect(idOf([rule], emvQr([account('com.x'), [tag, `${value}9`]])).isAcCode).toBe(false);
  });

  it('checks payloadFormatIndicator (tag 00) and additionalDataFieldTemplate (sub-tags of 62)', () => {
    const rule = emvRule(mai({ '00': 'com.x' }, { payloadFormatIndicator: '01', additionalDataFieldTemplate: { '05': 'S<REF>' } }));
    expect(idOf([rule], emvQr([account('com.x'), ['62', [['05', 'REF1']]]])).isAcCode).toBe(true);
    expect(idOf([rule], emvQr([account('com.x'), ['62', [['05', 'XREF']]]])).isAcCode).toBe(false);
  });

  it('checks accurateTagRules on tag, tag.sub and tag.sub.sub', () => {
    const rule = emvRule(mai({ '00': 'com.x' }, { accurateTagRules: { '59': 'SHOP', '62.50': 'N<NOT_NULL>', '62.50.01': 'C<deep>' } }));
    const good = emvQr([account('com.x'), ['59', 'SHOP'], ['62', [['50', [['01', 'in deep']]]]]]);
    const bad = emvQr([account('com.x'), ['59', 'SHOP'], ['62', [['50', [['01', 'shallow']]]]]]);
    expect(idOf([rule], good).isAcCode).toBe(true);
    expect(idOf([rule], bad).isAcCode).toBe(false);
  });
});

describe('fact 6: the lowest priority wins, 10000 when missing, the earlier on a tie', () => {
  it('picks the lowest number whatever the order, and a missing one counts as 10000', () => {
    const set = ruleSetOf(prefixRule('a', { matchResult: { n: 'default' } }), prefixRule('ab', { priority: 10001, matchResult: { n: 'late' } }));
    expect(run(set, 'abc')).toMatchObject({ acDecodeConfig: '{"n":"default"}' });
    expect(run(ruleSetOf(prefixRule('ab', { priority: 9999, matchResult: { n: 'x' } }), prefixRule('a')), 'abc')).toMatchObject({ acDecodeConfig: '{"n":"x"}' });
  });

  it('does not fall back to the next rule when the winner cannot build its URL', () => {
    const winner = prefixRule('a', { priority: 1, action: openUrl({ urlConstructionMethod: 'EXTRACT_URL_FROM_EMVCODE', emvUrlTag: 'merchantTag.01' }) });
    expect(run(ruleSetOf(winner, prefixRule('a', { priority: 2 })), 'abc')).toEqual({ isAcCode: false });
  });
});

describe('fact 7: PREFIX ignores case the way Java compares chars', () => {
  it.each([
    ['s', 'ſ'],
    ['i', 'ı'],
    ['i', 'İ'],
    ['k', '\u212A'],
    ['ABC', 'abc'],
    ['σ', 'ς'],
  ])('prefix %s matches a code with %s', (prefix, code) => {
    expect(run(ruleSetOf(prefixRule(prefix)), `${code}123`).isAcCode).toBe(true);
  });

  it('keeps ß as itself (Java maps one char to one char)', () => {
    expect(javaCaseFold('ß')).toBe('ß');
    expect(run(ruleSetOf(prefixRule('ss')), 'ß1').isAcCode).toBe(false);
  });

  it('does not trim, and an empty prefix matches nothing', () => {
    expect(run(ruleSetOf(prefixRule('abc')), ' abc').isAcCode).toBe(false);
    expect(run(ruleSetOf(prefixRule('abc ')), 'abc').isAcCode).toBe(false);
    expect(idOf([prefixRule('')], 'abc').isAcCode).toBe(false);
  });
});

// The lookaround tests wait for recheck's off-thread analysis, up to OFF_THREAD_ANALYSIS_MS on a busy machine.
describe('fact 8: REGEX in Java dialect, whole code, case-sensitive', { timeout: 2 * OFF_THREAD_ANALYSIS_MS }, () => {
  it.each(['\n', '\r', '\u0085', '\u2028', '\u2029'])('. does not match %j', (ch) => {
    expect(run(ruleSetOf(regexRule('a.b')), `a${ch}b`).isAcCode).toBe(false);
  });

  it('. matches other characters, and a class or escape keeps its meaning', () => {
    expect(run(ruleSetOf(regexRule('a.b')), 'a\tb').isAcCode).toBe(true);
    expect(run(ruleSetOf(regexRule('a[.]b')), 'a.b').isAcCode).toBe(true);
    expect(run(ruleSetOf(regexRule('a[.]b')), 'axb').isAcCode).toBe(false);
    expect(run(ruleSetOf(regexRule('a\\.b')), 'axb').isAcCode).toBe(false);
  });

  it('matches the whole code only, with case', () => {
    expect(run(ruleSetOf(regexRule('28[0-9]{4}')), '281234x').isAcCode).toBe(false);
    expect(run(ruleSetOf(regexRule('abc')), 'ABC').isAcCode).toBe(false);
  });

  it('runs lookahead and lookbehind (the Nepal rules) on a ReDoS-checked engine', async () => {
    // The rule book's path: analysed in recheck's worker thread before the set is compiled.
    await parseWithRegexAnalysis(() => ruleSetOf(regexRule('^NCHL(?!00000000).{8}.*'), regexRule('(?<=A)B|AB')));
    const nepal = compileJavaRegex('^NCHL(?!00000000).{8}.*');
    expect(nepal.ok && nepal.regex.engine).toBe('BACKTRACKING');
    expect(run(ruleSetOf(regexRule('^NCHL(?!00000000).{8}.*')), 'NCHL12345678').isAcCode).toBe(true);
    expect(run(ruleSetOf(regexRule('^NCHL(?!00000000).{8}.*')), 'NCHL00000000').isAcCode).toBe(false);
    expect(run(ruleSetOf(regexRule('(?<=A)B|AB')), 'AB').isAcCode).toBe(true);
  });

  it('refuses a catastrophic pattern RE2 cannot run: it never matches', () => {
    const evil = compileJavaRegex('^(?=.*x)(a|a)*$');
    expect(evil.ok).toBe(false);
    expect(run(ruleSetOf(regexRule('(?=a)(a|a)*b')), `${'a'.repeat(40)}`).isAcCode).toBe(false);
  });

  it('keeps a timed-out off-thread analysis from being a verdict: the pattern stays off, a later application tries again', async () => {
    const rushed = await parseWithRegexAnalysis(() => ruleSetOf(regexRule('^QB(?!1)[a-z]+(?<=z)')), { timeoutMs: 0 });
    expect(identifyWithRules(rushed, 'QBxyz', { issuer: ISSUER }).isAcCode).toBe(false);
    const later = await parseWithRegexAnalysis(() => ruleSetOf(regexRule('^QB(?!1)[a-z]+(?<=z)')));
    expect(identifyWithRules(later, 'QBxyz', { issuer: ISSUER }).isAcCode).toBe(true);
  });

  it('does not keep an analysis that ran out of time: the next application tries again', async () => {
    const rushed = compileJavaRegex('^X(?!0)[a-z]+(?<=q)', { analysisTimeoutMs: 0 });
    expect(rushed).toMatchObject({ ok: false, reason: expect.stringContaining('inconclusive') });
    const later = await parseWithRegexAnalysis(() => ruleSetOf(regexRule('^X(?!0)[a-z]+(?<=q)')));
    expect(run(later, 'Xabq').isAcCode).toBe(true);
  });

  it('switches a backtracking pattern off after matches over its time budget in a row (the step budget)', async () => {
    await parseWithRegexAnalysis(() => ruleSetOf(regexRule('(?=a)a+'))); // its verdict, off the event loop
    const slow = compileJavaRegex('(?=a)a+', { budgetMs: -1 });
    if (!slow.ok) throw new Error(slow.reason);
    expect(slow.regex.engine).toBe('BACKTRACKING');
    // Over a negative budget every match is an overrun; one (a GC pause) is forgiven, OVERRUNS_TO_SWITCH_OFF are not.
    for (let i = 0; i < OVERRUNS_TO_SWITCH_OFF; i++) expect(slow.regex.matches('aaa')).toBe(true);
    expect(slow.regex.matches('aaa')).toBe(false);
    // Switched off for the life of its set only: the next set that keeps the pattern runs it again.
    const nextSet = await parseWithRegexAnalysis(() => ruleSetOf(regexRule('(?=a)a+')));
    expect(run(nextSet, 'aaa').isAcCode).toBe(true);
    const fine = compileJavaRegex('(?=a)a+', { budgetMs: 10_000 });
    expect(fine.ok && fine.regex.matches('aaa') && fine.regex.matches('aaa')).toBe(true);
  });

  it('keeps RE2 for every pattern it can run', () => {
    const plain = compileJavaRegex('https://qr\\.alipay\\.hk/.*');
    expect(plain.ok && plain.regex.engine).toBe('RE2');
  });
});

describe('fact 10: merchant account fields', () => {
  it('matches a primitive rule on a tag 02-25 without reading its value', () => {
    const rule = emvRule({ primitiveMai: true, primitiveMaiTag: '15' });
    expect(idOf([rule], emvQr([['15', 'anything']])).isAcCode).toBe(true);
    expect(idOf([rule], emvQr([['16', 'anything']])).isAcCode).toBe(false);
    expect(idOf([emvRule({ primitiveMai: true, primitiveMaiTag: '26' })], emvQr([['26', '0001x']])).isAcCode).toBe(false);
  });

  it('needs one template to meet every restriction by itself', () => {
    const rule = emvRule(mai({ '00': 'com.x', '01': 'ID1' }));
    expect(idOf([rule], emvQr([account('com.x', ['01', 'ID1'])])).isAcCode).toBe(true);
    expect(
      idOf(
        [rule],
        emvQr([
          account('com.x'),
          [
            '27',
            [
              ['00', 'com.y'],
              ['01', 'ID1'],
            ],
          ],
        ]),
      ).isAcCode,
    ).toBe(false);
  });

  it('takes the first template in tag order 26-51 then 80-99, whatever the payload order', () => {
    const rule = emvRule(mai({ '00': 'com.x' }), { action: openUrl({ urlConstructionMethod: 'EXTRACT_URL_FROM_EMVCODE', emvUrlTag: 'merchantTag.01' }) });
    const code = emvQr([
      [
        '80',
        [
          ['00', 'com.x'],
          ['01', 'https://eighty'],
        ],
      ],
      [
        '27',
        [
          ['00', 'com.x'],
          ['01', 'https://twenty-seven'],
        ],
      ],
    ]);
    expect(idOf([rule], code)).toMatchObject({ redirectUrl: 'https://twenty-seven' });
  });

  it('skips a template that is not valid TLV and searches 80-99', () => {
    const rule = emvRule(mai({ '00': 'com.x' }));
    expect(
      idOf(
        [rule],
        emvQr([
          ['26', 'garbage'],
          ['81', [['00', 'com.x']]],
        ]),
      ).isAcCode,
    ).toBe(true);
    expect(idOf([rule], emvQr([['62', [['00', 'com.x']]]])).isAcCode).toBe(false);
  });

  it('does not match conditions on 62 when 62 is missing or unreadable', () => {
    const rule = emvRule(mai({ '00': 'com.x' }, { accurateTagRules: { '62.05': 'N<NULL>' } }));
    expect(idOf([rule], emvQr([account('com.x')])).isAcCode).toBe(false);
    expect(idOf([rule], emvQr([account('com.x'), ['62', 'x']])).isAcCode).toBe(false);
    expect(idOf([rule], emvQr([account('com.x'), ['62', [['01', 'y']]]])).isAcCode).toBe(true);
  });
});

describe('fact 11: value patterns', () => {
  const rule = (pattern: string) => emvRule(mai({ '00': pattern }));
  const withGuid = (guid: string) => emvQr([account(guid)]);
  it.each([
    ['S<com.>', 'com.grab', true],
    ['s<com.>', 'com.grab', true],
    ['S<COM.>', 'com.grab', false],
    ['C<grab>', 'com.grab', true],
    ['R<com\\.[a-z]+>', 'com.grab', true],
    ['R<com>', 'com.grab', false],
    ['R<(unclosed>', '(unclosed', false],
    ['SG.COM.NETS', 'SG.COM.NETS', true],
    ['SG.COM.NETS', 'SG.COM.NETS.X', false],
    ['CsB', 'CsB', true],
    ['CsB', 'xsBx', false],
    ['com.grab', 'com.grab', true],
    ['U<x>', 'x', false],
    ['U<x>', 'U<x>', true],
    ['N<OTHER>', 'N<OTHER>', false],
    ['N<NOT_NULL>', 'anything', true],
    ['N<NULL>', 'anything', false],
  ])('%s against %s -> %s', (pattern, guid, expected) => {
    expect(idOf([rule(pattern)], withGuid(guid)).isAcCode).toBe(expected);
  });

  it('is a marker only in the form X<operand> ending in >', () => {
    expect(idOf([rule('S<com.')], withGuid('S<com.')).isAcCode).toBe(true);
    expect(idOf([rule('S<com.')], withGuid('com.grab')).isAcCode).toBe(false);
    expect(idOf([rule('C<a>b')], withGuid('C<a>b')).isAcCode).toBe(true);
  });

  it('N<NULL> holds for an absent field, N<NOT_NULL> does not; others never match an absent field', () => {
    const code = emvQr([account('com.x')]);
    expect(idOf([emvRule(mai({ '00': 'com.x', '05': 'N<NULL>' }))], code).isAcCode).toBe(true);
    expect(idOf([emvRule(mai({ '00': 'com.x', '05': 'N<NOT_NULL>' }))], code).isAcCode).toBe(false);
    expect(idOf([emvRule(mai({ '00': 'com.x' }, { merchantCity: 'C<>' }))], code).isAcCode).toBe(false);
  });

  it('a null pattern matches nothing', () => {
    expect(compileValuePattern(null)).toEqual({ kind: 'NEVER' });
    expect(idOf([legacyEmvRule([subTag('00')])], emvQr([account('com.x')])).isAcCode).toBe(false);
  });
});

describe('fact 12: trusted and untrusted rules', () => {
  it.each([
    [undefined, true],
    ['Y', true],
    ['n', true],
  ])('trust %s is applied locally', (trust, local) => {
    const set = ruleSetOf(prefixRule('a', { matchResult: trust === undefined ? {} : { trust } }));
    expect(run(set, 'a').isAcCode === undefined).toBe(!local);
  });

  it.each([
    [undefined, false],
    ['1.2.1.20240506', true],
    ['1.2.1.20240505', true],
    ['1.2.0.20991231', true],
    ['1.2.1.20240507', false],
    ['1.3.0.0', false],
    ['1.2.1', false],
    ['1.2.1.x', false],
  ])('trust N with nonSdkJarSupportVersion %s is local: %s', (version, local) => {
    expect(supportedHere(version)).toBe(local);
    const set = ruleSetOf(prefixRule('a', { matchResult: { trust: 'N', ...(version && { nonSdkJarSupportVersion: version }) } }));
    expect(run(set, 'a').isAcCode === undefined).toBe(!local);
  });

  const pending = () => {
    const rule = prefixRule('https://r.example/', {
      priority: 1,
      action: openUrl({ urlConstructionMethod: 'USE_DIRECTLY', userAgent: 'Rule' }),
      matchResult: { trust: 'N', k: 'rule' },
    });
    const verdict = run(ruleSetOf(rule, prefixRule('https://r.example/', { priority: 2 })), 'https://r.example/1');
    expect(verdict.isAcCode).toBeUndefined();
    return verdict as RemoteIdentificationNeeded;
  };

  it('a failed call or isSupported false is not an Alipay+ code, with no fallback to the next rule', () => {
    expect(answerFromRemote(pending(), undefined, { issuer: ISSUER })).toEqual({ isAcCode: false });
    expect(answerFromRemote(pending(), { isSupported: false }, { issuer: ISSUER })).toEqual({ isAcCode: false });
  });

  it("the answer's action type, redirectUrl, userAgent and extendInfo replace the rule's", () => {
    const answer = answerFromRemote(
      pending(),
      { isSupported: true, postCodeMatchActionType: 'OPEN_URL', redirectUrl: 'https://given.example/x', extendInfo: extendInfo({ k: 'remote', trust: 'N' }) },
      { issuer: ISSUER },
    );
    expect(answer).toEqual({
      isAcCode: true,
      postCodeMatchActionType: 'OPEN_URL',
      redirectUrl: 'https://given.example/x',
      userAgent: 'AlipayConnect',
      acDecodeConfig: '{"k":"remote"}',
    });
    expect(answerFromRemote(pending(), { isSupported: true, postCodeMatchActionType: 'DECODE' }, { issuer: ISSUER })).toEqual({
      isAcCode: true,
      postCodeMatchActionType: 'DECODE',
      acDecodeConfig: '',
    });
  });
});

describe('facts 13-14: the answer', () => {
  it('DECODE has no redirectUrl or userAgent', () => {
    expect(run(ruleSetOf(prefixRule('a', { action: { postCodeMatchActionType: 'DECODE', userAgent: 'X' } })), 'a')).toEqual({
      isAcCode: true,
      postCodeMatchActionType: 'DECODE',
      acDecodeConfig: '{"routerType":"AC_CODE"}',
    });
  });

  it('USE_DIRECTLY opens the code unencoded with AlipayConnect when the rule has no userAgent', () => {
    const set = ruleSetOf(prefixRule('a', { action: openUrl({ urlConstructionMethod: 'USE_DIRECTLY', userAgent: '' }) }));
    expect(run(set, "a b'(c)")).toMatchObject({ redirectUrl: "a b'(c)", userAgent: 'AlipayConnect' });
  });

  it("encodes ${codeValue} like Java's URLEncoder with %20, every occurrence; ${issuer} as it is", () => {
    const set = ruleSetOf(prefixRule('M', { action: dyn('https://x/?a=${codeValue}&b=${codeValue}&i=${issuer}') }));
    const code = "McDonald's (Orchard) ~!*-._ é";
    const encoded = 'McDonald%27s%20%28Orchard%29%20%7E%21*-._%20%C3%A9';
    expect(javaUrlEncode(code)).toBe(encoded);
    expect(run(set, code)).toMatchObject({ redirectUrl: `https://x/?a=${encoded}&b=${encoded}&i=${ISSUER}` });
    expect(identifyWithRules(set, 'M', { issuer: 'A B&C' })).toMatchObject({ redirectUrl: 'https://x/?a=M&b=M&i=A B&C' });
  });

  it('fills dynamicUrlParams R<>, E<tag>, E<tag.sub>, L<start>, L<start,end>, encoded', () => {
    const matchResult = { dynamicUrlParams: { r: 'R<id=([0-9]+)>', l: 'L<0,3>', t: 'L<4>' } };
    const set = ruleSetOf(prefixRule('abc', { action: dyn('u?r=${r}&l=${l}&t=${t}'), matchResult }));
    expect(run(set, 'abc id=42 x')).toMatchObject({ redirectUrl: 'u?r=42&l=abc&t=id%3D42%20x' });
    const emvParams = { dynamicUrlParams: { c: 'E<58>', s: 'E<26.01>' } };
    const emvSet = ruleSetOf(emvRule(mai({ '00': 'com.x' }), { action: dyn('u?c=${c}&s=${s}'), matchResult: emvParams }));
    expect(run(emvSet, emvQr([account('com.x', ['01', 'A B']), ['58', 'MY']]))).toMatchObject({ redirectUrl: 'u?c=MY&s=A%20B' });
  });

  it.each([
    ['R<zzz([0-9]+)>', 'abc'],
    ['R<abc>', 'abc'],
    ['L<5,9>', 'abc'],
    ['L<2,1>', 'abc'],
    ['E<58>', 'abc'],
    ['X<1>', 'abc'],
  ])('an empty value or an error in %s means not supported', (param, code) => {
    const set = ruleSetOf(prefixRule('abc', { action: dyn('u?p=${p}'), matchResult: { dynamicUrlParams: { p: param } } }));
    expect(run(set, code)).toEqual({ isAcCode: false });
  });

  it('EXTRACT_URL_FROM_EMVCODE: from the first http of the matched template, or not supported', () => {
    const extract = (emvUrlTag?: string) =>
      ruleSetOf(emvRule(mai({ '00': 'com.x' }), { action: openUrl({ urlConstructionMethod: 'EXTRACT_URL_FROM_EMVCODE', ...(emvUrlTag && { emvUrlTag }) }) }));
    const code = emvQr(
      [
        [
          '26',
          [
            ['00', 'com.y'],
            ['01', 'https://other'],
          ],
        ],
        account('com.x', ['01', 'go HttP://a.example/b']),
      ].map(([t, v]) => [t === '26' && v[0]?.[1] === 'com.x' ? '27' : t, v] as never),
    );
    expect(run(extract('merchantTag.01'), code)).toMatchObject({ redirectUrl: 'HttP://a.example/b' });
    expect(run(extract('merchantTag.02'), code)).toEqual({ isAcCode: false });
    expect(run(extract('merchantTag01'), code)).toEqual({ isAcCode: false });
    expect(run(extract(undefined), code)).toEqual({ isAcCode: false });
    const other = run(extract('62.05'), code);
    expect(other).toMatchObject({ isAcCode: true, postCodeMatchActionType: 'OPEN_URL' });
    expect(other).not.toHaveProperty('redirectUrl');
    const noHttp = emvQr([account('com.x', ['01', 'ftp://a'])]);
    expect(run(extract('merchantTag.01'), noHttp)).toEqual({ isAcCode: false });
  });

  it.each([undefined, 'OTHER'])('urlConstructionMethod %s is not supported', (method) => {
    const set = ruleSetOf(prefixRule('a', { action: openUrl(method ? { urlConstructionMethod: method as never } : {}) }));
    expect(run(set, 'a')).toEqual({ isAcCode: false });
  });
});

describe('fact 15: acDecodeConfig', () => {
  it('is matchResult without trust and nonSdkJarSupportVersion, sdkJarSupportVersion kept', () => {
    const matchResult = { routerType: 'R', trust: 'Y', nonSdkJarSupportVersion: '1.0', sdkJarSupportVersion: '1.1' };
    expect(JSON.parse(String((run(ruleSetOf(prefixRule('a', { matchResult })), 'a') as { acDecodeConfig?: string }).acDecodeConfig))).toEqual({
      routerType: 'R',
      sdkJarSupportVersion: '1.1',
    });
  });

  it('is "" when nothing is left or there is no matchResult', () => {
    expect(run(ruleSetOf(prefixRule('a', { matchResult: { trust: 'Y' } })), 'a')).toMatchObject({ acDecodeConfig: '' });
    expect(idOf([{ ...prefixRule('a'), extendInfo: null }], 'a')).toMatchObject({ acDecodeConfig: '' });
  });
});

describe('fact 16: not supported is isAcCode false, never an error', () => {
  it('answers isAcCode false for a blank code (the use case turns it into PARAM_ILLEGAL) and never throws', () => {
    expect(run(ruleSetOf(prefixRule(' ')), '   ')).toEqual({ isAcCode: false });
    const set = compileCodeRules('t', [emvRule(mai({ '00': 'R<(a|a)*b>' }), { action: dyn('${x}'), matchResult: { dynamicUrlParams: { x: 'E<99.99>' } } })]).ruleSet;
    expect(() => run(set, emvQr([account('a'.repeat(50))]))).not.toThrow();
  });

  it('turns an error inside a rule into isAcCode false', () => {
    const [rule] = ruleSetOf(regexRule('x.*')).rules;
    const throwing = {
      ...rule!,
      pattern: {
        method: 'REGEX' as const,
        source: 'x.*',
        regex: {
          source: 'x.*',
          engine: 'RE2' as const,
          literalPrefix: 'x',
          matches: () => {
            throw new Error('boom');
          },
          firstGroupOfFind: () => undefined,
        },
      },
    };
    expect(run({ version: 't', rules: [throwing] }, 'xyz')).toEqual({ isAcCode: false });
  });
});
