/**
 * Two pieces of Java's text handling that Ant's SDK relies on and that JavaScript does differently
 * (code-identification-sdk.md facts 7 and 14).
 */

// ---- String.regionMatches(ignoreCase = true) (fact 7) ----

/**
 * Java compares two chars as equal when they are equal, or their upper cases are, or the lower
 * cases of their upper cases are. Equality of `lower(upper(c))` is the widest of the three and
 * implied by each, so it is a canonical form: two chars are equal ignoring case iff their folds
 * are equal. Java maps one char to one char (Character.toUpperCase/toLowerCase): where
 * JavaScript's full mapping gives more than one char (`ß` -> `SS`, `İ` -> `i̇`), the char keeps
 * the one-char result Java gives (`ß` stays, `İ` -> `i`).
 */
let foldTable: Uint16Array | undefined;
const ASCII = /^[\x00-\x7f]*$/;

function buildFoldTable(): Uint16Array {
  const table = new Uint16Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    const upper = oneChar(ch.toUpperCase(), ch);
    table[c] = oneChar(upper.toLowerCase(), upper).charCodeAt(0);
  }
  return table;
}

/** Java's one-char case mapping: the result when it is one char; `İ` -> `i̇` keeps its `i`. */
function oneChar(mapped: string, original: string): string {
  if (mapped.length === 1) return mapped;
  return original === '\u0130' ? 'i' : original;
}

/** The case fold of `text` (its first `limit` chars): equal folds <=> regionMatches(true) holds. */
export function javaCaseFold(text: string, limit = text.length): string {
  const head = limit < text.length ? text.slice(0, limit) : text;
  // ASCII folds to its lower case (the Kelvin sign and long s are not ASCII).
  if (ASCII.test(head)) return head.toLowerCase();
  foldTable ??= buildFoldTable();
  const n = head.length;
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode(foldTable[text.charCodeAt(i)]!);
  return out;
}

// ---- URLEncoder.encode(s, UTF-8) with `+` written as `%20` (fact 14) ----

const HEX = '0123456789ABCDEF';
const percent = (byte: number) => `%${HEX[byte >> 4]}${HEX[byte & 15]}`;

/** Each ASCII char as the encoder writes it: itself when kept, else its `%XX`. */
const ASCII_ENCODED: readonly string[] = Array.from({ length: 0x80 }, (_, c) => (/[A-Za-z0-9.\-*_]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : percent(c)));

/** A code point's UTF-8 bytes, each as `%XX`. */
function percentUtf8(cp: number): string {
  if (cp < 0x800) return percent(0xc0 | (cp >> 6)) + percent(0x80 | (cp & 0x3f));
  if (cp < 0x10000) return percent(0xe0 | (cp >> 12)) + percent(0x80 | ((cp >> 6) & 0x3f)) + percent(0x80 | (cp & 0x3f));
  return percent(0xf0 | (cp >> 18)) + percent(0x80 | ((cp >> 12) & 0x3f)) + percent(0x80 | ((cp >> 6) & 0x3f)) + percent(0x80 | (cp & 0x3f));
}

/**
 * Java's URLEncoder over UTF-8: `A-Z a-z 0-9 . - * _` kept, every other byte `%XX` (upper-case
 * hex), a space `%20` (the SDK replaces URLEncoder's `+`). Unlike encodeURIComponent it encodes
 * `! ' ( ) ~`. A lone surrogate becomes `?` (%3F), as Java's encoder writes it. ASCII from a table
 * and UTF-8 by hand: a TextEncoder call per character made an entry code's URL (about 40
 * characters) cost 7.9 µs (docs/performance.md, the fifteenth round).
 */
export function javaUrlEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      out += ASCII_ENCODED[code];
    } else if (code < 0xd800 || code > 0xdfff) {
      out += percentUtf8(code);
    } else {
      const next = text.charCodeAt(i + 1); // NaN past the end
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += percentUtf8(0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00));
        i++;
      } else {
        out += '%3F';
      }
    }
  }
  return out;
}
