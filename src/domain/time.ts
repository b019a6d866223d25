/** Times on the wire (§1): ISO 8601 with an offset, e.g. `2019-06-06T12:12:12+08:00`. We write UTC. */
import { DateTime } from 'luxon';

export function isoWithOffset(d: Date): string {
  return DateTime.fromJSDate(d, { zone: 'utc' }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}
