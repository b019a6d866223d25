import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { identifyWithRules } from '../../../src/domain/codes/matcher.ts';
import { parseCodeRulesAnswer, type CodeRuleSet } from '../../../src/domain/codes/rules.ts';
import { merchantQr } from './fixtures.ts';

const PRESET_PATH = fileURLToPath(new URL('../../../src/adapters/code-rules-preset.json', import.meta.url));

function loadPreset(): CodeRuleSet {
  const load = parseCodeRulesAnswer(JSON.parse(readFileSync(PRESET_PATH, 'utf8')));
  if (!load.ok) throw new Error(load.reason);
  expect(load.rejected).toEqual([]);
  return load.ruleSet;
}

describe('the shipped preset rule set', () => {
  const preset = loadPreset();
  const identify = (code: string) => identifyWithRules(preset, code, { issuer: 'SANDBOX_CLIENT' });

  it('is in the exact wire shape, with every extendInfo doubly encoded', () => {
    const raw = JSON.parse(readFileSync(PRESET_PATH, 'utf8')) as { version: string; codeRules: { extendInfo: unknown }[] };
    expect(raw.version).toBe('preset-1');
    for (const rule of raw.codeRules) {
      expect(typeof rule.extendInfo).toBe('string');
      const info = JSON.parse(rule.extendInfo as string) as { matchResult: unknown };
      expect(typeof info.matchResult).toBe('string');
    }
    expect(preset.version).toBe('preset-1');
  });

  // §7 real examples
  it('decodes a code starting with https://qr.alipayplus.com/28166613', () => {
    expect(identify('https://qr.alipayplus.com/281666130000000012345')).toMatchObject({
      isAcCode: true,
      postCodeMatchActionType: 'DECODE',
      acDecodeConfig: '{"routerType":"AC_CODE"}',
    });
  });

  it.each(['com.alipayplus', 'com.alipay'])('decodes an EMVCo QR whose template sub-tag 00 is %s', (guid) => {
    const code = merchantQr([
      [
        '26',
        [
          ['00', guid],
          ['01', '2188120000123456'],
        ],
      ],
    ]);
    expect(identify(code)).toMatchObject({ isAcCode: true, postCodeMatchActionType: 'DECODE' });
  });

  it('does not take com.alipayplus.other for either EMVCo rule (the values are equalities)', () => {
    expect(identify(merchantQr([['26', [['00', 'com.alipayplus.other']]]])).isAcCode).toBe(false);
  });

  it('opens a https://g.alipayplus.com/page/ code directly with the AlipayConnect user agent', () => {
    const code = 'https://g.alipayplus.com/page/entry?bizId=123';
    expect(identify(code)).toMatchObject({
      isAcCode: true,
      postCodeMatchActionType: 'OPEN_URL',
      redirectUrl: code,
      userAgent: 'AlipayConnect',
    });
  });

  it('sends an Alipay CN code (trust N, nonSdkJarSupportVersion 1.0.0: not comparable with 1.2.1.20240506) to remote identification', () => {
    expect(identify('https://qr.alipay.com/bax01234abcd')).toHaveProperty('remote');
  });

  it('answers isAcCode false for other codes', () => {
    expect(identify('https://pay.mywallet.com/q/1')).toEqual({ isAcCode: false });
    expect(identify(merchantQr([['26', [['00', 'SG.PAYNOW']]]]))).toEqual({ isAcCode: false });
  });
});
