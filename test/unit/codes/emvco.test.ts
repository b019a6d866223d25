import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { crc16Ccitt, formatCrc, MERCHANT_TEMPLATE_TAGS, readEmvCode, readTlv } from '../../../src/domain/codes/emvco.ts';
import { crc16, emvQr, merchantQr, tlv } from './fixtures.ts';

/** The example payload of the EMVCo MPM book (Chinese merchant name in template 64, CRC A13A). */
const EMVCO_BOOK_EXAMPLE =
  '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN' +
  '5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***' +
  '0708A60086670902ME91320016A0112233449988770708123456786304A13A';

/** Any body, with the CRC of everything before the last 4 characters appended (wherever tag 63 is). */
const crcAppended = (body: string) => body + crc16(body);

describe('CRC16-CCITT', () => {
  it('gives the standard check value 29B1 for "123456789"', () => {
    expect(formatCrc(crc16Ccitt('123456789'))).toBe('29B1');
    expect(crc16('123456789')).toBe('29B1');
  });

  it('agrees with the bit-by-bit reference on any text, non-ASCII included', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (s) => formatCrc(crc16Ccitt(s)) === crc16(s)));
  });
});

describe('what counts as an EMVCo code (fact 9)', () => {
  it('accepts the EMVCo book example, counting lengths in UTF-16 characters and the CRC over UTF-8', () => {
    const fields = readEmvCode(EMVCO_BOOK_EXAMPLE);
    expect(fields?.get('59')).toBe('BEST TRANSPORT');
    expect(fields?.get('64')).toBe('0002ZH0104最佳运输0202北京');
  });

  it('needs only 0002 at the start: tag 00 is not checked to be 01', () => {
    expect(
      readEmvCode(
        `${emvQr([['59', 'SHOP']])
          .replace(/^000201/, '000202')
          .slice(0, -4)}XXXX`,
      ),
    ).toBeUndefined();
    const body = `000202${tlv([['59', 'SHOP']])}6304`;
    expect(readEmvCode(crcAppended(body))?.get('00')).toBe('02');
    expect(readEmvCode(crcAppended(`0102${tlv([['00', '01']]).slice(4)}6304`))).toBeUndefined();
  });

  it('takes the CRC from the last 4 characters wherever tag 63 sits, compared without case', () => {
    // Tag 63 holds ABCD and is not last; tag 59's value ends with the 4 characters that are the CRC.
    const body = '000201' + '6304ABCD' + '5908SHOP';
    const good = crcAppended(body);
    expect(readEmvCode(good)?.get('63')).toBe('ABCD');
    expect(readEmvCode(good)?.get('59')).toBe(`SHOP${good.slice(-4)}`);
    expect(readEmvCode(body + good.slice(-4).toLowerCase())).toBeDefined();
  });

  it('refuses a wrong CRC or one changed character', () => {
    const code = merchantQr([['26', [['00', 'com.alipayplus']]]]);
    expect(readEmvCode(code)).toBeDefined();
    expect(readEmvCode(code.slice(0, -1) + (code.endsWith('0') ? '1' : '0'))).toBeUndefined();
    expect(readEmvCode(code.replace('NASI', 'NASO'))).toBeUndefined();
  });

  it('makes a zero length invalid, even on a field no rule looks at', () => {
    expect(readEmvCode(crcAppended('000201' + '6000' + '6304'))).toBeUndefined();
    expect(readEmvCode(crcAppended('000201' + '6001X' + '6304'))).toBeDefined();
  });

  it('reads a length written with other Unicode digits, as Java parses it', () => {
    // '٠٤' is 04 in Arabic-Indic digits.
    expect(readEmvCode(crcAppended('000201' + '59٠٤SHOP' + '6304'))?.get('59')).toBe('SHOP');
    expect(readEmvCode(crcAppended('000201' + '59+4SHOP' + '6304'))).toBeUndefined();
  });

  it('keeps the last of a repeated tag', () => {
    expect(
      readEmvCode(
        emvQr([
          ['59', 'FIRST'],
          ['59', 'LAST'],
        ]),
      )?.get('59'),
    ).toBe('LAST');
  });

  it('refuses text left over or a value running past the end', () => {
    expect(readTlv('5904SHOPX')).toBeUndefined();
    expect(readTlv('5909SHOP')).toBeUndefined();
    expect(readTlv('')?.size).toBe(0);
  });

  it('does not read templates at this stage: a malformed template leaves the code valid', () => {
    const code = emvQr([
      ['26', 'not tlv at all'],
      ['59', 'SHOP'],
    ]);
    expect(readEmvCode(code)?.get('26')).toBe('not tlv at all');
  });

  it('scans merchant templates 26-51 then 80-99 (fact 10)', () => {
    expect(MERCHANT_TEMPLATE_TAGS[0]).toBe('26');
    expect(MERCHANT_TEMPLATE_TAGS).toContain('51');
    expect(MERCHANT_TEMPLATE_TAGS.indexOf('80')).toBe(26);
    expect(MERCHANT_TEMPLATE_TAGS.at(-1)).toBe('99');
    expect(MERCHANT_TEMPLATE_TAGS).not.toContain('62');
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        readEmvCode(`0002${s}`);
        readTlv(s);
      }),
    );
  });
});
