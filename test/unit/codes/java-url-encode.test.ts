/**
 * Fact 14's encoder (javaUrlEncode) against a plain statement of Java's URLEncoder over UTF-8:
 * each kept character as it is, every other one's UTF-8 bytes (TextEncoder's) as upper-case `%XX`,
 * a lone surrogate as `?`. The encoder writes ASCII from a table and UTF-8 by hand; this holds it
 * to the plain form on any text, lone and paired surrogates included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { javaUrlEncode } from '../../../src/domain/codes/java-text.ts';

const utf8 = new TextEncoder();

/** The encoder as the SDK's facts state it, one code point at a time. */
function plainJavaUrlEncode(text: string): string {
  let out = '';
  for (const point of text) {
    if (/^[A-Za-z0-9.\-*_]$/.test(point)) out += point;
    else if (point.length === 1 && point.charCodeAt(0) >= 0xd800 && point.charCodeAt(0) <= 0xdfff) out += '%3F';
    else for (const byte of utf8.encode(point)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Any UTF-16 text: code units drawn from the whole range, so lone surrogates and pairs both occur. */
const anyCodeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units));
/** Text around the surrogate range and the UTF-8 length boundaries. */
const boundaryUnits = fc
  .array(fc.constantFrom(0x00, 0x20, 0x2a, 0x2b, 0x7e, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff), { maxLength: 20 })
  .map((units) => String.fromCharCode(...units));

describe('javaUrlEncode (fact 14)', () => {
  it('writes what the plain statement of the encoder writes, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, boundaryUnits, fc.string({ unit: 'binary', maxLength: 30 })), (text) => {
        expect(javaUrlEncode(text)).toBe(plainJavaUrlEncode(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes each UTF-8 length and the surrogate cases as Java does', () => {
    expect(javaUrlEncode('a-Z_9.*')).toBe('a-Z_9.*');
    expect(javaUrlEncode(' +~')).toBe('%20%2B%7E');
    expect(javaUrlEncode('\u007f\u0080\u07ff\u0800\uffff')).toBe('%7F%C2%80%DF%BF%E0%A0%80%EF%BF%BF');
    expect(javaUrlEncode('😀')).toBe('%F0%9F%98%80');
    expect(javaUrlEncode('\ud83d')).toBe('%3F');
    expect(javaUrlEncode('\ude00x')).toBe('%3Fx');
    expect(javaUrlEncode('\ud83d\ud83d\ude00')).toBe('%3F%F0%9F%98%80');
  });
});
