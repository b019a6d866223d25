import { describe, it, expect } from 'vitest';
import {
  compileCodeRules,
  DEFAULT_PRIORITY,
  DEFAULT_USER_AGENT,
  MAX_RULES,
  parseCodeRulesAnswer,
  parseEmvUrlTag,
  parseUrlExpression,
} from '../../../src/domain/codes/rules.ts';
import { emvRule, extendInfo, openUrl, prefixRule, regexRule, ruleSetOf, subTag } from './fixtures.ts';

const SUCCESS = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };

/** The rule of §6 exactly as the contract prints it. */
const SPEC_RULE: unknown = JSON.parse(String.raw`{"codeMatchPattern": {"matchMethod": "EMVCO", "priority": 10000,
   "emvMatchRules": [{"primitiveMerchant": false, "extendedMerchantTag": "00",
                      "extendedMerchantValue": "com.alipayplus"}]},
 "postCodeMatchAction": {"postCodeMatchActionType": "DECODE"},
 "extendInfo": "{\"matchResult\":\"{\\\"routerType\\\":\\\"AC_CODE\\\"}\"}"}`);

describe('loading code rules from the wire shape', () => {
  it('compiles the §6 example rule, reading the doubly encoded extendInfo', () => {
    const { ruleSet, rejected } = compileCodeRules('v1', [SPEC_RULE]);
    expect(rejected).toEqual([]);
    const [rule] = ruleSet.rules;
    expect(rule?.pattern).toEqual({
      method: 'EMVCO',
      conditions: [{ kind: 'MERCHANT_SUB_TAG', subTag: '00', value: { kind: 'EQUALS', text: 'com.alipayplus' } }],
    });
    expect(rule?.action).toEqual({ type: 'DECODE' });
    expect(rule?.acDecodeConfig).toBe('{"routerType":"AC_CODE"}');
  });

  it('takes an absent priority as 10000', () => {
    const [rule] = ruleSetOf(prefixRule('abc')).rules;
    expect(rule?.priority).toBe(DEFAULT_PRIORITY);
  });

  it('accepts a priority written as a numeric string', () => {
    const wire = prefixRule('abc');
    const withString = { ...wire, codeMatchPattern: { ...wire.codeMatchPattern, priority: '7' } };
    expect(compileCodeRules('v', [withString]).ruleSet.rules[0]?.priority).toBe(7);
  });

  it('reads null fields as absent, as Java serialisers write them', () => {
    const wire = {
      codeMatchPattern: { matchMethod: 'PREFIX', prefix: 'abc', priority: null, regex: null, emvMatchRules: null },
      postCodeMatchAction: { postCodeMatchActionType: 'OPEN_URL', urlConstructionMethod: null, userAgent: null },
      extendInfo: null,
    };
    const { ruleSet, rejected } = compileCodeRules('v', [wire]);
    expect(rejected).toEqual([]);
    expect(ruleSet.rules[0]?.action).toEqual({ type: 'OPEN_URL', userAgent: DEFAULT_USER_AGENT, url: { method: 'USE_DIRECTLY' } });
    expect(ruleSet.rules[0]?.acDecodeConfig).toBeUndefined();
  });

  it('drops trust and nonSdkJarSupportVersion from acDecodeConfig and keeps the rest in order', () => {
    const matchResult = { routerType: 'AC_CODE', trust: 'N', codeType: 'ORDER', nonSdkJarSupportVersion: '1.2', forceHttps: true };
    const [rule] = ruleSetOf(prefixRule('abc', { matchResult })).rules;
    expect(rule?.acDecodeConfig).toBe('{"routerType":"AC_CODE","codeType":"ORDER","forceHttps":true}');
    expect(rule?.trust).toBe('N');
  });

  it('tolerates extendInfo and matchResult sent as objects rather than strings', () => {
    const wire = { ...prefixRule('abc'), extendInfo: { matchResult: { routerType: 'AC_CODE' } } };
    expect(compileCodeRules('v', [wire]).ruleSet.rules[0]?.acDecodeConfig).toBe('{"routerType":"AC_CODE"}');
  });

  it('sorts rules by priority, keeping wire order among equals', () => {
    const { rules } = ruleSetOf(prefixRule('a', { priority: 50 }), prefixRule('b'), prefixRule('c', { priority: 50 }), prefixRule('d', { priority: 1 }));
    expect(rules.map((r) => r.index)).toEqual([3, 0, 2, 1]);
  });

  it('pre-parses CONSTRUCT_DYNAMIC_URL expressions and keeps a custom user agent', () => {
    const wire = prefixRule('x', {
      action: openUrl({
        urlConstructionMethod: 'CONSTRUCT_DYNAMIC_URL',
        dynamicUrlExpression: 'https://p.example/${issuer}?code=${codeValue}',
        userAgent: 'MyWallet',
      }),
    });
    const [rule] = ruleSetOf(wire).rules;
    expect(rule?.action).toMatchObject({ type: 'OPEN_URL', userAgent: 'MyWallet' });
    expect(parseUrlExpression('https://p.example/${issuer}?code=${codeValue}&x=${other}')).toEqual([
      { kind: 'TEXT', text: 'https://p.example/' },
      { kind: 'ISSUER' },
      { kind: 'TEXT', text: '?code=' },
      { kind: 'CODE_VALUE' },
      { kind: 'TEXT', text: '&x=${other}' },
    ]);
  });

  it.each([
    ['merchantTag.03', { scope: 'MATCHED_MERCHANT_TEMPLATE', subTag: '03' }],
    ['62.05', { scope: 'TAG', tag: '62', subTag: '05' }],
    ['26.01', { scope: 'TAG', tag: '26', subTag: '01' }],
    ['85', { scope: 'TAG', tag: '85' }],
    ['59.01', undefined], // 59 is not a template
    ['merchantTag.3', undefined],
    ['url', undefined],
  ])('reads emvUrlTag %s', (text, location) => {
    expect(parseEmvUrlTag(text)).toEqual(location);
  });
});

describe('rejecting invalid rules without failing the load', () => {
  const extract = openUrl({ urlConstructionMethod: 'EXTRACT_URL_FROM_EMVCODE' });
  const cases: [string, unknown, string][] = [
    ['an unknown matchMethod', { ...prefixRule('a'), codeMatchPattern: { matchMethod: 'SUFFIX', prefix: 'a' } }, 'matchMethod'],
    ['a PREFIX rule without a prefix', { ...prefixRule('a'), codeMatchPattern: { matchMethod: 'PREFIX' } }, 'without a prefix'],
    ['an empty prefix', prefixRule(''), 'without a prefix'],
    ['a REGEX rule without a regex', { ...prefixRule('a'), codeMatchPattern: { matchMethod: 'REGEX' } }, 'without a regex'],
    ['a regex RE2 cannot run in linear time (lookahead)', regexRule('(?=a)a+'), 'RE2'],
    ['a regex over 512 characters', regexRule('a'.repeat(513)), 'longer than 512'],
    ['a regex that does not compile', regexRule('[a-'), 'does not compile'],
    ['an EMVCO rule without conditions', emvRule([]), 'without emvMatchRules'],
    ['a sub-tag that is not two digits', emvRule([subTag('0', 'x')]), 'extendedMerchantTag'],
    ['a primitive tag outside 02-25', emvRule([{ primitiveMerchant: true, primitiveMerchantTag: '26' }]), '02-25'],
    ['an R value pattern RE2 cannot run (backreference)', emvRule([subTag('00', 'R(a)\\1')]), 'value pattern'],
    ['extendInfo that is not JSON', { ...prefixRule('a'), extendInfo: '{matchResult:' }, 'extendInfo'],
    ['a matchResult that is not JSON', { ...prefixRule('a'), extendInfo: JSON.stringify({ matchResult: '{x' }) }, 'matchResult'],
    ['an unknown action', prefixRule('a', { action: { postCodeMatchActionType: 'SCAN' as 'DECODE' } }), 'postCodeMatchActionType'],
    ['CONSTRUCT_DYNAMIC_URL without an expression', prefixRule('a', { action: openUrl({ urlConstructionMethod: 'CONSTRUCT_DYNAMIC_URL' }) }), 'dynamicUrlExpression'],
    ['EXTRACT_URL_FROM_EMVCODE without emvUrlTag', emvRule([subTag('00', 'x')], { action: extract }), 'emvUrlTag'],
    ['EXTRACT_URL_FROM_EMVCODE with an unreadable emvUrlTag', emvRule([subTag('00', 'x')], { action: extract, matchResult: { emvUrlTag: 'merchant' } }), 'emvUrlTag'],
    ['a rule that is not an object', 'PREFIX:abc', 'expected object'],
  ];

  it.each(cases)('rejects %s with the reason', (_name, wire, reason) => {
    const { ruleSet, rejected } = compileCodeRules('v', [prefixRule('good'), wire]);
    expect(ruleSet.rules.map((r) => r.index)).toEqual([0]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.index).toBe(1);
    expect(rejected[0]?.reason).toContain(reason);
  });

  it(`rejects rules beyond the first ${MAX_RULES}`, () => {
    const rules = Array.from({ length: MAX_RULES + 2 }, (_, i) => prefixRule(`p${i}`));
    const { ruleSet, rejected } = compileCodeRules('v', rules);
    expect(ruleSet.rules).toHaveLength(MAX_RULES);
    expect(rejected.map((r) => r.index)).toEqual([MAX_RULES, MAX_RULES + 1]);
  });
});

describe('reading an inquiryCodeRules answer', () => {
  it('loads a successful answer with its version and reports the rejected rules', () => {
    const body = { result: SUCCESS, version: '20240601', codeRules: [prefixRule('a'), regexRule('(a)\\1')] };
    const load = parseCodeRulesAnswer(body);
    expect(load.ok).toBe(true);
    if (!load.ok) return;
    expect(load.ruleSet.version).toBe('20240601');
    expect(load.ruleSet.rules).toHaveLength(1);
    expect(load.rejected).toHaveLength(1);
  });

  it('accepts a numeric version and an empty rule list', () => {
    const load = parseCodeRulesAnswer({ result: SUCCESS, version: 42, codeRules: [] });
    expect(load.ok && load.ruleSet.version).toBe('42');
  });

  it.each([
    ['a failed result', { result: { resultCode: 'ACCESS_DENIED', resultStatus: 'F' }, version: '1', codeRules: [] }, 'ACCESS_DENIED'],
    ['no version', { result: SUCCESS, codeRules: [] }, 'version'],
    ['no rule list', { result: SUCCESS, version: '1' }, 'codeRules'],
    ['not an object', 'oops', 'invalid'],
    ['only rejected rules', { result: SUCCESS, version: '1', codeRules: [regexRule('(a)\\1')] }, 'rejected'],
  ])('fails as a whole on %s, so the previous set is kept', (_name, body, reason) => {
    const load = parseCodeRulesAnswer(body);
    expect(load.ok).toBe(false);
    if (!load.ok) expect(load.reason).toContain(reason);
  });

  it('builds extendInfo the way the fixtures and preset write it', () => {
    expect(extendInfo({ routerType: 'AC_CODE' })).toBe('{"matchResult":"{\\"routerType\\":\\"AC_CODE\\"}"}');
  });
});
