/**
 * Wire times (§1) read and written without luxon on the hot path (envelope.ts commonIsoMillis,
 * time.ts isoWithOffset): the answers must be exactly luxon's.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { commonIsoMillis, parseRequestTime } from '../../../src/alipayplus/wire-time.ts';
import { isoWithOffset } from '../../../src/alipayplus/wire-time.ts';

const luxonMillis = (v: string) => {
  const dt = DateTime.fromISO(v, { setZone: true });
  return dt.isValid ? dt.toMillis() : undefined;
};
const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

/** Strings of the common shape with every field a little past its range now and then. */
const isoish = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
    two(13),
    two(32),
    two(25),
    two(61),
    two(61),
    fc.option(fc.stringMatching(/^\d{1,4}$/), { nil: undefined }),
    fc.oneof(
      fc.constant('Z'),
      fc.tuple(fc.constantFrom('+', '-'), two(25), fc.constantFrom(':', ''), two(60)).map((p) => p.join('')),
    ),
  )
  .map(([y, mo, d, h, mi, s, frac, zone]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}${zone}`);

describe('wire times', () => {
  it('reads the common ISO 8601 form exactly as luxon does, or leaves it to luxon', () => {
    fc.assert(
      fc.property(isoish, (v) => {
        const ours = commonIsoMillis(v);
        if (ours !== undefined) expect(ours).toBe(luxonMillis(v));
        expect(parseRequestTime(v)).toBe(luxonMillis(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the examples of the contract', () => {
    expect(commonIsoMillis('2019-06-06T12:12:12+08:00')).toBe(Date.UTC(2019, 5, 6, 4, 12, 12));
    expect(commonIsoMillis('2019-06-06T12:12:12.5Z')).toBe(Date.UTC(2019, 5, 6, 12, 12, 12, 500));
    expect(commonIsoMillis('2019-06-06T12:12:12-0330')).toBe(Date.UTC(2019, 5, 6, 15, 42, 12));
    expect(commonIsoMillis('2019-02-29T12:12:12Z')).toBeUndefined(); // not a leap year: luxon decides (invalid)
    expect(parseRequestTime('2019-02-29T12:12:12Z')).toBeUndefined();
  });

  it('writes times as luxon wrote them: whole seconds, +00:00', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        expect(isoWithOffset(d)).toBe(DateTime.fromJSDate(d, { zone: 'utc' }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ"));
      }),
      { numRuns: 2000 },
    );
  });
});
