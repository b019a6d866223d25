import { describe, it, expect } from 'vitest';
import { identifyWithRules } from '../../../src/domain/codes/matcher.ts';
import { emvRule, merchantQr, openUrl, prefixRule, regexRule, ruleSetOf, subTag, type Tlv } from './fixtures.ts';

const ISSUER = 'SANDBOX_CLIENT';
const identify = (rules: Parameters<typeof ruleSetOf>, code: string) => identifyWithRules(ruleSetOf(...rules), code, { issuer: ISSUER });
const matches = (rules: Parameters<typeof ruleSetOf>, code: string) => identify(rules, code).isAcCode;

/** A QR whose merchant account template 26 holds the given sub-objects. */
const qrWith26 = (...subs: Tlv[]) => merchantQr([['26', subs]]);

describe('PREFIX rules (§6: case-insensitive starts-with)', () => {
  it.each([
    ['https://qr.alipayplus.com/28166613', 'https://qr.alipayplus.com/281666130000123', true],
    ['https://qr.alipayplus.com/28166613', 'HTTPS://QR.ALIPAYPLUS.COM/281666130000123', true],
    ['HTTPS://QR.ALIPAYPLUS.COM/', 'https://qr.alipayplus.com/x', true],
    ['https://qr.alipayplus.com/28166613', 'https://qr.alipayplus.com/28166613', true],
    ['https://qr.alipayplus.com/28166613', 'https://qr.alipayplus.com/2816661', false],
    ['https://qr.alipayplus.com/', 'x https://qr.alipayplus.com/', false],
  ])('prefix %s against %s -> %s', (prefix, code, expected) => {
    expect(matches([prefixRule(prefix)], code)).toBe(expected);
  });
});

describe('REGEX rules (§6: the whole code must match)', () => {
  it.each([
    ['28[0-9]{6}', '28123456', true],
    ['28[0-9]{6}', '281234567', false],
    ['28[0-9]{6}', 'x28123456', false],
    ['abc|28[0-9]{6}', '28123456', true],
    ['abc|28[0-9]{6}', 'abcd', false],
    ['https://qr\\.alipay\\.hk/[A-Za-z0-9]+', 'https://qr.alipay.hk/Ab12', true],
    ['https://qr\\.alipay\\.hk/[A-Za-z0-9]+', 'HTTPS://QR.ALIPAY.HK/Ab12', false], // regexes keep their own case
  ])('regex %s against %s -> %s', (regex, code, expected) => {
    expect(matches([regexRule(regex)], code)).toBe(expected);
  });
});

describe('EMVCO rules (§6)', () => {
  const alipayplus = emvRule([subTag('00', 'com.alipayplus')]);

  it('matches a valid EMVCo QR whose merchant template has the sub-tag value', () => {
    expect(matches([alipayplus], qrWith26(['00', 'com.alipayplus'], ['01', 'M1']))).toBe(true);
  });

  it('does not match the same QR with a bad CRC', () => {
    const code = qrWith26(['00', 'com.alipayplus']);
    const badCrc = code.slice(0, -4) + (code.endsWith('0000') ? '0001' : '0000');
    expect(matches([alipayplus], badCrc)).toBe(false);
  });

  it('does not match a malformed QR or a code that is not EMVCo', () => {
    expect(matches([alipayplus], '000201010211260400com.alipayplus')).toBe(false);
    expect(matches([alipayplus], 'com.alipayplus')).toBe(false);
  });

  it('finds the sub-tag in any template 26-51, not only the first', () => {
    const code = merchantQr([
      ['26', [['00', 'com.other']]],
      ['51', [['00', 'com.alipayplus']]],
    ]);
    expect(matches([alipayplus], code)).toBe(true);
  });

  it('ignores the same sub-tag in templates that are not merchant account information', () => {
    const code = merchantQr([
      ['26', [['00', 'com.other']]],
      ['80', [['00', 'com.alipayplus']]],
    ]);
    expect(matches([alipayplus], code)).toBe(false);
  });

  it('requires every emvMatchRules entry to hold', () => {
    const rule = emvRule([subTag('00', 'com.alipayplus'), subTag('01', 'SM')]);
    expect(matches([rule], qrWith26(['00', 'com.alipayplus'], ['01', 'M1']))).toBe(true);
    expect(matches([rule], qrWith26(['00', 'com.alipayplus'], ['02', 'M1']))).toBe(false);
  });

  it('checks a primitive merchant account tag (02-25) for presence', () => {
    const rule = emvRule([{ primitiveMerchant: true, primitiveMerchantTag: '04' }]);
    expect(matches([rule], merchantQr([['04', '4111111111111111']]))).toBe(true);
    expect(matches([rule], merchantQr([['05', '5111111111111111']]))).toBe(false);
    // a sub-tag 04 inside a template is not the primitive tag 04
    expect(matches([rule], qrWith26(['04', 'x']))).toBe(false);
  });

  it('combines a primitive and a template condition', () => {
    const rule = emvRule([{ primitiveMerchant: true, primitiveMerchantTag: '02' }, subTag('00', 'com.alipay')]);
    expect(
      matches(
        [rule],
        merchantQr([
          ['02', '4000'],
          ['26', [['00', 'com.alipay']]],
        ]),
      ),
    ).toBe(true);
    expect(matches([rule], merchantQr([['26', [['00', 'com.alipay']]]]))).toBe(false);
  });

  describe('value patterns: S starts with, C contains, R regex, N<NULL> absent, else equals', () => {
    const value = 'com.alipayplus.hk';
    it.each([
      ['Scom.alipay', true],
      ['Salipay', false],
      ['Cpayplus', true],
      ['Cwechat', false],
      ['Rcom\\.alipay(plus)?\\.[a-z]{2}', true],
      ['Rcom\\.alipay', false], // R must match the whole value
      ['com.alipayplus.hk', true],
      ['com.alipayplus', false], // equals is exact
      ['COM.ALIPAYPLUS.HK', false], // and case-sensitive
      ['N<NULL>', false], // the sub-tag is present
    ])('%s against "com.alipayplus.hk" -> %s', (pattern, expected) => {
      expect(matches([emvRule([subTag('00', pattern)])], qrWith26(['00', value]))).toBe(expected);
    });

    it('N<NULL> holds when no merchant template has the sub-tag', () => {
      const rule = emvRule([subTag('00', 'com.alipay'), subTag('05', 'N<NULL>')]);
      expect(matches([rule], qrWith26(['00', 'com.alipay']))).toBe(true);
      expect(matches([rule], qrWith26(['00', 'com.alipay'], ['05', 'x']))).toBe(false);
      expect(
        matches(
          [rule],
          merchantQr([
            ['26', [['00', 'com.alipay']]],
            ['27', [['05', 'x']]],
          ]),
        ),
      ).toBe(false);
    });

    it('NNULL is read as absent too', () => {
      expect(matches([emvRule([subTag('00', 'com.alipay'), subTag('05', 'NNULL')])], qrWith26(['00', 'com.alipay']))).toBe(true);
    });

    it('an N value that is not N<NULL> is an equality', () => {
      expect(matches([emvRule([subTag('00', 'NETS')])], qrWith26(['00', 'NETS']))).toBe(true);
    });

    it('no extendedMerchantValue means the sub-tag only has to be present', () => {
      expect(matches([emvRule([subTag('09')])], qrWith26(['09', 'anything']))).toBe(true);
      expect(matches([emvRule([subTag('09')])], qrWith26(['00', 'com.alipay']))).toBe(false);
    });
  });
});

describe('precedence (§6: lowest priority number wins, ties go to the earlier rule)', () => {
  const code = 'https://qr.alipayplus.com/281666130001';
  const tagged = (router: string, priority?: number) =>
    prefixRule('https://qr.alipayplus.com/', { ...(priority !== undefined && { priority }), matchResult: { router } });

  it('picks the lowest priority number whatever the order', () => {
    const answer = identify([tagged('late', 500), tagged('low', 10), tagged('default')], code);
    expect(answer.acDecodeConfig).toBe('{"router":"low"}');
  });

  it('picks the earlier rule on a tie', () => {
    const answer = identify([tagged('first', 5), tagged('second', 5)], code);
    expect(answer.acDecodeConfig).toBe('{"router":"first"}');
    expect(answer.rule?.index).toBe(0);
  });

  it('treats an absent priority as 10000 when comparing', () => {
    expect(identify([tagged('absent'), tagged('explicit', 10000)], code).acDecodeConfig).toBe('{"router":"absent"}');
    expect(identify([tagged('absent'), tagged('lower', 9999)], code).acDecodeConfig).toBe('{"router":"lower"}');
  });

  it('answers isAcCode false when no rule matches', () => {
    expect(identify([tagged('x')], 'https://example.com/')).toEqual({ isAcCode: false });
  });
});

describe('actions (§6 postCodeMatchAction)', () => {
  it('DECODE answers with the rule acDecodeConfig and no URL', () => {
    const answer = identify([prefixRule('28', { matchResult: { routerType: 'AC_CODE', trust: 'Y' } })], '2812345');
    expect(answer).toMatchObject({ isAcCode: true, postCodeMatchActionType: 'DECODE', acDecodeConfig: '{"routerType":"AC_CODE"}' });
    expect(answer.redirectUrl).toBeUndefined();
    expect(answer.userAgent).toBeUndefined();
  });

  it('OPEN_URL with USE_DIRECTLY opens the code value itself with the default user agent', () => {
    const code = 'https://g.alipayplus.com/page/abc?x=1';
    const answer = identify([prefixRule('https://g.alipayplus.com/page/', { action: openUrl({ urlConstructionMethod: 'USE_DIRECTLY' }) })], code);
    expect(answer).toMatchObject({ isAcCode: true, postCodeMatchActionType: 'OPEN_URL', redirectUrl: code, userAgent: 'AlipayConnect' });
  });

  it('OPEN_URL with CONSTRUCT_DYNAMIC_URL fills the URL-encoded code value and the issuer', () => {
    const rule = prefixRule('HTTPS://M.', {
      action: openUrl({
        urlConstructionMethod: 'CONSTRUCT_DYNAMIC_URL',
        dynamicUrlExpression: 'https://render.example.com/p?issuer=${issuer}&code=${codeValue}&again=${codeValue}',
        userAgent: 'AlipayConnect MyWallet/1.0',
      }),
    });
    const code = 'HTTPS://M.SHOP.COM/A B?c=1&d=é';
    const answer = identify([rule], code);
    const encoded = encodeURIComponent(code);
    expect(answer.redirectUrl).toBe(`https://render.example.com/p?issuer=SANDBOX_CLIENT&code=${encoded}&again=${encoded}`);
    expect(answer.userAgent).toBe('AlipayConnect MyWallet/1.0');
  });

  describe('OPEN_URL with EXTRACT_URL_FROM_EMVCODE', () => {
    const extract = openUrl({ urlConstructionMethod: 'EXTRACT_URL_FROM_EMVCODE' });
    const extractRule = (emvUrlTag: string, conditions = [subTag('00', 'com.alipayplus')]) => emvRule(conditions, { action: extract, matchResult: { emvUrlTag } });

    it('takes merchantTag.03 from the merchant template that matched, not from another one', () => {
      const code = merchantQr([
        [
          '26',
          [
            ['00', 'com.other'],
            ['03', 'https://other.example/'],
          ],
        ],
        [
          '27',
          [
            ['00', 'com.alipayplus'],
            ['03', 'https://qr.alipayplus.com/page/123'],
          ],
        ],
      ]);
      expect(identify([extractRule('merchantTag.03')], code).redirectUrl).toBe('https://qr.alipayplus.com/page/123');
    });

    it('falls back to the first template with the sub-tag when the rule names no template', () => {
      const rule = extractRule('merchantTag.03', [{ primitiveMerchant: true, primitiveMerchantTag: '04' }]);
      const code = merchantQr([
        ['04', '4111'],
        [
          '26',
          [
            ['00', 'x'],
            ['03', 'https://a.example/'],
          ],
        ],
      ]);
      expect(identify([rule], code).redirectUrl).toBe('https://a.example/');
    });

    it('reads a sub-tag of another template with TT.NN', () => {
      const code = merchantQr([
        ['26', [['00', 'com.alipayplus']]],
        [
          '80',
          [
            ['00', 'x'],
            ['01', 'https://b.example/p'],
          ],
        ],
      ]);
      expect(identify([extractRule('80.01')], code).redirectUrl).toBe('https://b.example/p');
    });

    it('skips to the next rule when the URL is missing or not http(s)', () => {
      const fallback = emvRule([subTag('00', 'com.alipayplus')], { priority: 20000, matchResult: { routerType: 'AC_CODE' } });
      const missing = qrWith26(['00', 'com.alipayplus']);
      const script = qrWith26(['00', 'com.alipayplus'], ['03', 'javascript:alert(1)']);
      for (const code of [missing, script]) {
        const answer = identify([extractRule('merchantTag.03'), fallback], code);
        expect(answer).toMatchObject({ isAcCode: true, postCodeMatchActionType: 'DECODE' });
      }
    });

    it('does not extract from a code that is not EMVCo even when a PREFIX rule asks for it', () => {
      const rule = prefixRule('abc', { action: extract, matchResult: { emvUrlTag: 'merchantTag.03' } });
      expect(identify([rule], 'abcdef')).toEqual({ isAcCode: false });
    });
  });
});

describe('identifyWithRules guards', () => {
  it('answers isAcCode false for a blank or oversized code instead of matching', () => {
    expect(matches([prefixRule(' ')], '   ')).toBe(false);
    expect(matches([prefixRule('a')], 'a'.repeat(8193))).toBe(false);
    expect(matches([prefixRule('a')], 'a'.repeat(8192))).toBe(true);
  });
});
