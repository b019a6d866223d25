import { describe, it, expect } from 'vitest';
import { compileCodeLists, identifyCode } from '../../../src/domain/codes/lists.ts';
import { compileCodeRules } from '../../../src/domain/codes/rules.ts';
import { merchantQr, tenThousandEntries, thousandRules } from './fixtures.ts';

describe('identification at scale', () => {
  it('identifies codes against 1,000 rules and 10,000 list entries', () => {
    const { ruleSet, rejected } = compileCodeRules('scale-1', thousandRules());
    expect(rejected).toEqual([]);
    expect(ruleSet.rules).toHaveLength(1000);
    const compiled = compileCodeLists(tenThousandEntries());
    expect(compiled.rejected).toEqual([]);
    const identify = (codeValue: string) => identifyCode({ mode: 'ALLOWLIST', lists: compiled.lists, ruleSet, codeValue, issuer: 'SANDBOX_CLIENT' });

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
