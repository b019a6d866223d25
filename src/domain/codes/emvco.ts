/**
 * EMVCo merchant-presented codes the way Ant's SDK reads them (code-identification-sdk.md facts 9
 * and 10), which is looser in some places and stricter in others than the EMVCo book:
 *
 * - a code is EMVCo when it starts with `0002` (tag 00 is not checked to be `01`), the whole
 *   string reads as TLV, and the last 4 characters are the CRC16-CCITT of the UTF-8 bytes of
 *   everything before them (compared without case), wherever tag 63 sits;
 * - TLV: a 2-character tag (any characters), a 2-character length whose characters are decimal
 *   digits (Unicode digits too, as Java's Integer.parseInt reads them), a value of that many
 *   UTF-16 characters; a zero length makes the text unreadable; a repeated tag replaces the
 *   earlier one;
 * - templates are read only when a rule asks for them, with the same reader; one that does not
 *   read is skipped, it does not make the code invalid.
 *
 * Nothing here throws on bad input.
 */

/** A code whose first 4 characters are not this is not EMVCo (fact 9). */
export const EMV_START = '0002';

/** Tag -> value, the last occurrence of each tag kept. */
export type TlvFields = ReadonlyMap<string, string>;

/** Merchant account templates in the order the SDK scans them: 26-51, then 80-99 (fact 10). */
export const MERCHANT_TEMPLATE_TAGS: readonly string[] = [
  ...Array.from({ length: 26 }, (_, i) => String(26 + i)),
  ...Array.from({ length: 20 }, (_, i) => String(80 + i)),
];

/** Primitive merchant account tags, 02-25 (fact 10). */
export function isPrimitiveMerchantTag(tag: string): boolean {
  return /^\d{2}$/.test(tag) && Number(tag) >= 2 && Number(tag) <= 25;
}

/** The fields of a valid EMVCo code (fact 9), or undefined. */
export function readEmvCode(code: string): TlvFields | undefined {
  if (!code.startsWith(EMV_START) || code.length < 8) return undefined;
  const fields = readTlv(code);
  if (!fields) return undefined;
  const body = code.slice(0, -4);
  return formatCrc(crc16Ccitt(body)) === code.slice(-4).toUpperCase() ? fields : undefined;
}

/**
 * The whole text as `TT LL V...` objects, or undefined when it does not read exactly. The loop
 * consumes at least 5 characters per object, so it runs at most text.length / 5 times.
 */
export function readTlv(text: string): TlvFields | undefined {
  const fields = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    if (i + 4 > text.length) return undefined;
    const high = digitValue(text.charCodeAt(i + 2));
    const low = digitValue(text.charCodeAt(i + 3));
    if (high === undefined || low === undefined) return undefined;
    const length = high * 10 + low;
    if (length === 0 || i + 4 + length > text.length) return undefined;
    fields.set(text.slice(i, i + 2), text.slice(i + 4, i + 4 + length));
    i += 4 + length;
  }
  return fields;
}

const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** Java's Character.digit(c, 10) for a UTF-16 char: ASCII and every other Unicode decimal digit. */
function digitValue(c: number): number | undefined {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c < 0x80 || !DECIMAL_DIGIT.test(String.fromCharCode(c))) return undefined;
  // Unicode decimal digits come in runs of ten, zero first: count back to the zero.
  let value = 0;
  while (value < 9 && DECIMAL_DIGIT.test(String.fromCharCode(c - value - 1))) value++;
  return value;
}

// ---- CRC16-CCITT (CCITT-FALSE): poly 0x1021, init 0xFFFF, no reflection, no final xor ----

const CRC_TABLE: Uint16Array = buildCrcTable();

function buildCrcTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
}

const NON_ASCII = /[^\x00-\x7f]/;
const utf8 = new TextEncoder();

/** CRC16-CCITT of the UTF-8 bytes of `text`. */
export function crc16Ccitt(text: string): number {
  if (!NON_ASCII.test(text)) return crcOfCodes(text.length, (i) => text.charCodeAt(i));
  const bytes = utf8.encode(text);
  return crcOfCodes(bytes.length, (i) => bytes[i] ?? 0);
}

function crcOfCodes(length: number, byteAt: (i: number) => number): number {
  let crc = 0xffff;
  for (let i = 0; i < length; i++) {
    crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byteAt(i)) & 0xff] ?? 0);
  }
  return crc;
}

/** 4 upper-case hex digits, the way tag 63 writes a CRC. */
export function formatCrc(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0');
}
