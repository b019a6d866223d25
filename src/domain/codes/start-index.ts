/**
 * Patterns grouped by the text every code they match must start with: the Alipay+ rules
 * (matcher.ts, by their case-folded required start) and the code lists' REGEX entries (lists.ts,
 * by their literal prefix). A code looks up its own first `n` characters once for each key length
 * the index has, instead of asking every pattern; the patterns without such a text are asked for
 * every code.
 *
 * Keys are the first KEY_LENGTH characters of the text: a longer required start is filed under its
 * first KEY_LENGTH characters, so a group is a superset of what can match (each pattern still
 * checks its whole start) and a code makes at most KEY_LENGTH lookups, however many distinct
 * lengths the texts have. Rule sets where every prefix starts with `https://` are why a first
 * character alone is not enough.
 */
export const KEY_LENGTH = 32;

export interface StartIndex<T> {
  readonly byKey: ReadonlyMap<string, readonly T[]>;
  /** The keys' lengths, each once, ascending. */
  readonly keyLengths: readonly number[];
  /** The items with no required start: candidates for every code. */
  readonly unkeyed: readonly T[];
}

/** Files each item under its required start ('' for none), in the order given. */
export function startIndex<T>(entries: Iterable<readonly [start: string, item: T]>): StartIndex<T> {
  const byKey = new Map<string, T[]>();
  const unkeyed: T[] = [];
  for (const [start, item] of entries) {
    const key = start.slice(0, KEY_LENGTH);
    if (!key) {
      unkeyed.push(item);
      continue;
    }
    const group = byKey.get(key);
    if (group) group.push(item);
    else byKey.set(key, [item]);
  }
  const keyLengths = [...new Set([...byKey.keys()].map((k) => k.length))].sort((a, b) => a - b);
  return { byKey, keyLengths, unkeyed };
}

/** The groups filed under a start of `text` (its first 1..KEY_LENGTH characters), shortest key first; the unkeyed items are not among them. */
export function groupsStarting<T>(index: StartIndex<T>, text: string): (readonly T[])[] {
  const groups: (readonly T[])[] = [];
  for (const length of index.keyLengths) {
    if (length > text.length) break;
    const group = index.byKey.get(text.slice(0, length));
    if (group) groups.push(group);
  }
  return groups;
}
