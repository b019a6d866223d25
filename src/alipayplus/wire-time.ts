/** Times on the wire (§1): ISO 8601 with an offset, e.g. `2019-06-06T12:12:12+08:00`. We write UTC. */

/** `2019-06-06T04:12:12+00:00`: whole seconds, UTC (toISOString's fields, without luxon's cost per answer). */
export function isoWithOffset(d: Date): string {
  return `${d.toISOString().slice(0, 19)}+00:00`;
}
