/**
 * Times on the wire (§1): ISO 8601 with an offset, e.g. `2019-06-06T12:12:12+08:00`. We write UTC.
 * The one place they are read: the Request-Time header (parseRequestTime) and time fields of a
 * body (parseIsoInstant) share one parser, fast for the form Alipay+ sends and luxon otherwise.
 */
import { DateTime } from 'luxon';

/** `2019-06-06T04:12:12+00:00`: whole seconds, UTC (toISOString's fields, without luxon's cost per answer). */
export function isoWithOffset(d: Date): string {
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

/** Longer than any ISO 8601 time with fractions and an offset: refused before it is parsed. */
const MAX_REQUEST_TIME_LENGTH = 64;

/** `Request-Time` as ISO 8601 (any offset form) or epoch milliseconds; undefined when neither. */
export function parseRequestTime(value: string): number | undefined {
  if (value.length > MAX_REQUEST_TIME_LENGTH) return undefined;
  if (/^\d{10,16}$/.test(value)) return Number(value);
  return isoMillis(value);
}

const COMMON_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;

/**
 * The form Alipay+ sends (`2019-06-06T12:12:12+08:00`, `...Z`, `...+0800`, up to milliseconds),
 * read without luxon, which cost a few percent of every Alipay+ request. Anything else, or any
 * field out of its everyday range, is left to luxon (undefined here), so the answer is always
 * luxon's; a property test compares the two.
 */
export function commonIsoMillis(value: string): number | undefined {
  const m = COMMON_ISO.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const offsetMinutes = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  // Date.UTC reads years 0-99 as 1900-1999; leave those to luxon too.
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 || Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) return undefined;
  if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMinutes * 60_000;
}

/** Any ISO 8601 time with an offset that luxon reads, in epoch milliseconds (the fast path first). */
function isoMillis(value: string): number | undefined {
  const common = commonIsoMillis(value);
  if (common !== undefined) return common;
  const dt = DateTime.fromISO(value, { setZone: true });
  return dt.isValid ? dt.toMillis() : undefined;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

/** A time field of a body (§1): `2019-06-06T12:12:12+08:00`, `...Z`, `...+0800`; undefined otherwise. */
export function parseIsoInstant(value: string): Date | undefined {
  if (!ISO_WITH_OFFSET.test(value)) return undefined;
  const ms = isoMillis(value);
  return ms === undefined ? undefined : new Date(ms);
}
