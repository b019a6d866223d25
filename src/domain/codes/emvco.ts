/**
 * EMVCo merchant-presented QR (MPM) payloads, §6: "an EMVCo merchant-presented QR (starts with
 * `000201`; TLV; CRC16-CCITT in tag 63)".
 *
 * A payload is a list of data objects, each `TT LL V...`: a 2-digit tag, a 2-digit length and a
 * value of that many characters. Templates (merchant account information 26-51, additional data
 * 62, language template 64, unreserved 80-99) hold a nested list of data objects of the same shape.
 * Tag 63 is the last object: 4 hex digits of CRC16-CCITT (poly 0x1021, init 0xFFFF) computed over
 * the whole payload up to and including `6304`.
 *
 * Choices the spec leaves open:
 * - Lengths count UTF-16 code units of the JS string (the EMVCo book counts characters; the two
 *   agree except for characters outside the Basic Multilingual Plane, which no real payload uses).
 * - The CRC runs over the UTF-8 bytes of the payload (ASCII payloads, the normal case, take a
 *   fast path that needs no encoding).
 * - Every template must itself be well-formed TLV, or the whole payload is malformed: a code
 *   whose structure cannot be read is not one we match on. Values inside templates are not
 *   parsed further (one level of nesting, as the EMVCo book defines it).
 *
 * Nothing here throws on bad input: parseEmvco returns a discriminated result.
 */

/** §6: a code value is at most 8192 characters; the parser never looks at more. */
export const EMV_MAX_LENGTH = 8192;

/** Every MPM payload starts with tag 00 (Payload Format Indicator), length 02, value "01". */
export const EMV_PREFIX = '000201';

const CRC_TAG = '63';

export interface EmvDataObject {
  readonly tag: string;
  readonly value: string;
  /** Present for template tags only: the value parsed as nested data objects. */
  readonly children?: readonly EmvDataObject[];
}

export interface EmvPayload {
  /** Top-level data objects in payload order, tag 63 last. */
  readonly objects: readonly EmvDataObject[];
  /** The CRC as written in tag 63, upper-cased. */
  readonly crc: string;
}

export type EmvMalformedReason =
  | 'NOT_EMVCO' // does not start with 000201
  | 'TOO_LONG' // more than EMV_MAX_LENGTH characters
  | 'BAD_TAG' // a tag that is not 2 digits
  | 'BAD_LENGTH' // a length that is not 2 digits
  | 'TRUNCATED' // a value runs past the end of its container
  | 'BAD_TEMPLATE' // a template whose value is not TLV
  | 'MISSING_CRC' // no tag 63, or tag 63 is not the last object
  | 'BAD_CRC_FIELD'; // tag 63 is not 4 hex digits

export type EmvParseResult =
  | { readonly kind: 'ok'; readonly payload: EmvPayload }
  | { readonly kind: 'malformed'; readonly reason: EmvMalformedReason; readonly offset: number }
  | { readonly kind: 'badCrc'; readonly computedCrc: string; readonly foundCrc: string };

/** Cheap pre-check: only strings with this prefix are worth parsing as EMVCo. */
export function looksLikeEmvco(code: string): boolean {
  return code.startsWith(EMV_PREFIX);
}

/** Merchant account information templates, tags 26-51 (§6 `primitiveMerchant: false`). */
export function isMerchantAccountTemplateTag(tag: string): boolean {
  const n = Number(tag);
  return n >= 26 && n <= 51;
}

/** Primitive merchant account information tags, 02-25 (§6 `primitiveMerchant: true`). */
export function isPrimitiveMerchantTag(tag: string): boolean {
  const n = Number(tag);
  return n >= 2 && n <= 25;
}

/** Tags whose value is a nested TLV list, per the EMVCo MPM book. */
export function isTemplateTag(tag: string): boolean {
  const n = Number(tag);
  return (n >= 26 && n <= 51) || n === 62 || n === 64 || n >= 80;
}

/** The first data object with this tag, if any. */
export function findObject(objects: readonly EmvDataObject[], tag: string): EmvDataObject | undefined {
  return objects.find((o) => o.tag === tag);
}

export function parseEmvco(code: string): EmvParseResult {
  if (code.length > EMV_MAX_LENGTH) return malformed('TOO_LONG', EMV_MAX_LENGTH);
  if (!looksLikeEmvco(code)) return malformed('NOT_EMVCO', 0);

  const top = parseTlvList(code, 0);
  if (!top.ok) return malformed(top.reason, top.offset);

  const crcProblem = checkCrcObject(top.objects, code.length);
  if (crcProblem) return crcProblem;

  const nested = parseTemplates(top.objects, top.offsets);
  if (!nested.ok) return malformed('BAD_TEMPLATE', nested.offset);

  const foundCrc = code.slice(-4).toUpperCase();
  const computedCrc = formatCrc(crc16Ccitt(code.slice(0, -4)));
  if (computedCrc !== foundCrc) return { kind: 'badCrc', computedCrc, foundCrc };
  return { kind: 'ok', payload: { objects: nested.objects, crc: foundCrc } };
}

/** Tag 63 must be the last object and the only one, and hold exactly 4 hex digits. */
function checkCrcObject(objects: readonly EmvDataObject[], codeLength: number): EmvParseResult | undefined {
  const last = objects[objects.length - 1];
  const crcCount = objects.filter((o) => o.tag === CRC_TAG).length;
  if (!last || last.tag !== CRC_TAG || crcCount !== 1) return malformed('MISSING_CRC', codeLength);
  if (!/^[0-9A-Fa-f]{4}$/.test(last.value)) return malformed('BAD_CRC_FIELD', codeLength - last.value.length - 4);
  return undefined;
}

/** Parse the value of each template tag as nested TLV (one level, as the EMVCo book defines). */
function parseTemplates(objects: readonly EmvDataObject[], offsets: readonly number[]): { ok: true; objects: EmvDataObject[] } | { ok: false; offset: number } {
  const out: EmvDataObject[] = [];
  for (const [i, object] of objects.entries()) {
    if (!isTemplateTag(object.tag)) {
      out.push(object);
      continue;
    }
    const nested = parseTlvList(object.value, (offsets[i] ?? 0) + 4);
    if (!nested.ok) return { ok: false, offset: nested.offset };
    out.push({ tag: object.tag, value: object.value, children: nested.objects });
  }
  return { ok: true, objects: out };
}

type TlvList = { ok: true; objects: EmvDataObject[]; offsets: number[] } | { ok: false; reason: EmvMalformedReason; offset: number };

/**
 * Reads `TT LL V` objects until the end of `text`. The loop consumes at least 4 characters per
 * object, so it runs at most text.length / 4 times.
 */
function parseTlvList(text: string, baseOffset: number): TlvList {
  const objects: EmvDataObject[] = [];
  const offsets: number[] = [];
  let i = 0;
  while (i < text.length) {
    const at = baseOffset + i;
    if (i + 4 > text.length) return { ok: false, reason: 'TRUNCATED', offset: at };
    const tag = text.slice(i, i + 2);
    const lengthText = text.slice(i + 2, i + 4);
    if (!isTwoDigits(tag)) return { ok: false, reason: 'BAD_TAG', offset: at };
    if (!isTwoDigits(lengthText)) return { ok: false, reason: 'BAD_LENGTH', offset: at + 2 };
    const end = i + 4 + Number(lengthText);
    if (end > text.length) return { ok: false, reason: 'TRUNCATED', offset: at };
    objects.push({ tag, value: text.slice(i + 4, end) });
    offsets.push(at);
    i = end;
  }
  return { ok: true, objects, offsets };
}

function isTwoDigits(s: string): boolean {
  return s.length === 2 && isDigit(s.charCodeAt(0)) && isDigit(s.charCodeAt(1));
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function malformed(reason: EmvMalformedReason, offset: number): EmvParseResult {
  return { kind: 'malformed', reason, offset };
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
