import { describe, it, expect } from 'vitest';
import { compileCodeLists, identifyCode, type CodeListEntry } from '../../../src/domain/codes/lists.ts';
import { compileCodeRules, type WireCodeRule } from '../../../src/domain/codes/rules.ts';
import { emvRule, merchantQr, prefixRule, regexRule, subTag } from './fixtures.ts';

/** 1,000 rules of all three methods, the one that should win buried near the end. */
function thousandRules(): WireCodeRule[] {
  const rules: WireCodeRule[] = [];
  for (let i = 0; i < 997; i++) {
    if (i % 3 === 0) rules.push(prefixRule(`https://qr.partner${i}.example/`, { priority: 100 + (i % 50) }));
    else if (i % 3 === 1) rules.push(regexRule(`P${i}-[0-9]{4,12}`, { priority: 100 + (i % 50) }));
    else rules.push(emvRule([subTag('00', `com.partner${i}`)], { priority: 100 + (i % 50) }));
  }
  rules.push(emvRule([subTag('00', 'com.alipayplus')], { matchResult: { routerType: 'EMV' } }));
  rules.push(prefixRule('https://qr.alipayplus.com/', { priority: 9000, matchResult: { routerType: 'PREFIX' } }));
  rules.push(regexRule('P5-[0-9]{4,12}', { priority: 99, matchResult: { routerType: 'REGEX' } }));
  return rules;
}

/** 10,000 list entries: mostly prefixes, a few regexes, spread over the three kinds. */
function tenThousandEntries(): CodeListEntry[] {
  const entries: CodeListEntry[] = [];
  const kinds = ['LOCAL', 'ALLOWLIST', 'BLOCKLIST'] as const;
  for (let i = 0; i < 10_000; i++) {
    const kind = kinds[i % 3] ?? 'LOCAL';
    if (i % 500 === 0) entries.push({ kind, patternType: 'REGEX', pattern: `MW${i}-[A-Z]{2}[0-9]{6}` });
    else entries.push({ kind, patternType: 'PREFIX', pattern: `https://m${i}.mywallet.example/` });
  }
  return entries;
}

describe('identification at scale', () => {
  it('identifies codes against 1,000 rules and 10,000 list entries', () => {
    const { ruleSet, rejected } = compileCodeRules('scale-1', thousandRules());
    expect(rejected).toEqual([]);
    expect(ruleSet.rules).toHaveLength(1000);
    const compiled = compileCodeLists(tenThousandEntries());
    expect(compiled.rejected).toEqual([]);
    const identify = (codeValue: string) =>
      identifyCode({ mode: 'ALLOWLIST', lists: compiled.lists, ruleSet, codeValue, issuer: 'SANDBOX_CLIENT' });

    expect(identify('https://m9997.mywallet.example/pay')).toMatchObject({ source: 'ALLOWLIST', isAcCode: false });
    expect(identify('https://M9999.MYWALLET.EXAMPLE/pay')).toMatchObject({ source: 'LOCAL', isAcCode: false });
    expect(identify('MW9000-AB123456')).toMatchObject({ source: 'LOCAL' });
    expect(identify(merchantQr([['26', [['00', 'com.alipayplus']]]]))).toMatchObject({
      source: 'ALIPAYPLUS',
      acDecodeConfig: '{"routerType":"EMV"}',
    });
    expect(identify('https://qr.alipayplus.com/28166613')).toMatchObject({ acDecodeConfig: '{"routerType":"PREFIX"}' });
    expect(identify('P5-12345')).toMatchObject({ acDecodeConfig: '{"routerType":"REGEX"}' });
    expect(identify('https://nobody.example/')).toEqual({ source: 'UNKNOWN', isAcCode: false });
  });
});
