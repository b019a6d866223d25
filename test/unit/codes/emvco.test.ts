import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { crc16Ccitt, EMV_MAX_LENGTH, formatCrc, parseEmvco, type EmvParseResult } from '../../../src/domain/codes/emvco.ts';
import { crc16, emvQr, merchantQr, tlv, withCrc } from './fixtures.ts';

/** The example payload of the EMVCo MPM book (Chinese merchant name in template 64, CRC A13A). */
const EMVCO_BOOK_EXAMPLE =
  '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN' +
  '5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***' +
  '0708A60086670902ME91320016A0112233449988770708123456786304A13A';

function expectMalformed(result: EmvParseResult, reason: string): void {
  expect(result.kind).toBe('malformed');
  if (result.kind === 'malformed') expect(result.reason).toBe(reason);
}

describe('CRC16-CCITT', () => {
  it('gives the standard check value 29B1 for "123456789"', () => {
    expect(formatCrc(crc16Ccitt('123456789'))).toBe('29B1');
    expect(crc16('123456789')).toBe('29B1');
  });

  it('agrees with the bit-by-bit reference on any text, non-ASCII included', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (s) => formatCrc(crc16Ccitt(s)) === crc16(s)));
  });
});

describe('parseEmvco', () => {
  it('accepts the EMVCo book example, counting lengths in characters and the CRC over UTF-8', () => {
    const result = parseEmvco(EMVCO_BOOK_EXAMPLE);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    const language = result.payload.objects.find((o) => o.tag === '64');
    expect(language?.children).toEqual([
      { tag: '00', value: 'ZH' },
      { tag: '01', value: '最佳运输' },
      { tag: '02', value: '北京' },
    ]);
    expect(result.payload.crc).toBe('A13A');
  });

  it('parses merchant account templates 26-51 and template 62 into sub-objects', () => {
    const code = merchantQr([
      [
        '26',
        [
          ['00', 'com.alipayplus'],
          ['01', 'M123'],
        ],
      ],
      ['04', '4111111111111111'],
    ]);
    const result = parseEmvco(code);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    const byTag = new Map(result.payload.objects.map((o) => [o.tag, o]));
    expect(byTag.get('26')?.children).toEqual([
      { tag: '00', value: 'com.alipayplus' },
      { tag: '01', value: 'M123' },
    ]);
    expect(byTag.get('04')).toEqual({ tag: '04', value: '4111111111111111' });
    expect(byTag.get('62')?.children).toEqual([{ tag: '05', value: 'REF123' }]);
    expect(result.payload.objects.at(-1)?.tag).toBe('63');
  });

  it('compares the CRC case-insensitively', () => {
    const code = merchantQr([['26', [['00', 'com.alipay']]]]);
    const lower = code.slice(0, -4) + code.slice(-4).toLowerCase();
    expect(parseEmvco(lower).kind).toBe('ok');
  });

  it('reports a bad CRC with the computed and the found values', () => {
    const code = merchantQr([['26', [['00', 'com.alipayplus']]]]);
    const good = code.slice(-4);
    const wrong = good === '0000' ? '0001' : '0000';
    expect(parseEmvco(code.slice(0, -4) + wrong)).toEqual({ kind: 'badCrc', computedCrc: good, foundCrc: wrong });
  });

  it('reports a changed character as a bad CRC', () => {
    const code = merchantQr([['26', [['00', 'com.alipayplus']]]]);
    const tampered = code.replace('NASI', 'NASU');
    expect(parseEmvco(tampered).kind).toBe('badCrc');
  });

  it.each([
    ['an empty string', 'NOT_EMVCO', ''],
    ['a URL', 'NOT_EMVCO', 'https://qr.alipayplus.com/281666130001'],
    ['a wrong payload format indicator', 'NOT_EMVCO', withCrc('000202010211')],
    ['a truncated header', 'TRUNCATED', withCrc('0002010102115')],
    ['a value running past the end', 'TRUNCATED', '00020101021159' + '99ABC'],
    ['a non-numeric tag', 'BAD_TAG', withCrc('000201010211AB03XYZ')],
    ['a non-numeric length', 'BAD_LENGTH', withCrc('00020101021159X1A')],
    ['a template that is not TLV', 'BAD_TEMPLATE', withCrc(`000201${tlv([['26', 'not tlv']])}`)],
    [
      'no tag 63',
      'MISSING_CRC',
      `000201${tlv([
        ['01', '11'],
        ['59', 'SHOP'],
      ])}`,
    ],
    [
      'tag 63 before the end',
      'MISSING_CRC',
      `000201${tlv([
        ['63', 'ABCD'],
        ['59', 'SHOP'],
      ])}`,
    ],
    [
      'two tags 63',
      'MISSING_CRC',
      `000201${tlv([
        ['63', 'ABCD'],
        ['63', 'ABCD'],
      ])}`,
    ],
    [
      'tag 63 of length 5',
      'BAD_CRC_FIELD',
      `000201${tlv([
        ['59', 'SHOP'],
        ['63', 'ABCDE'],
      ])}`,
    ],
    [
      'tag 63 not hex',
      'BAD_CRC_FIELD',
      `000201${tlv([
        ['59', 'SHOP'],
        ['63', 'WXYZ'],
      ])}`,
    ],
    ['more than 8192 characters', 'TOO_LONG', `000201${'0'.repeat(EMV_MAX_LENGTH)}`],
  ])('calls %s malformed (%s)', (_name, reason, code) => {
    expectMalformed(parseEmvco(code), reason);
  });

  it('never throws, whatever it is given', () => {
    const emvish = fc.string({ maxLength: 300 }).map((s) => `000201${s}`);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), emvish), (s) => {
        expect(['ok', 'malformed', 'badCrc']).toContain(parseEmvco(s).kind);
      }),
    );
  });

  it('reads back every payload the builder writes', () => {
    const tag = fc.integer({ min: 52, max: 61 }).map(String);
    const value = fc.string({ minLength: 1, maxLength: 99, unit: 'binary-ascii' });
    fc.assert(
      fc.property(fc.array(fc.tuple(tag, value), { maxLength: 10 }), (objects) => {
        const result = parseEmvco(emvQr(objects));
        expect(result.kind).toBe('ok');
      }),
    );
  });
});
