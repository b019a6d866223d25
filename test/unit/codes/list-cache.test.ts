import { describe, it, expect, beforeEach } from 'vitest';
import { CodeListCache, POLL_INTERVAL_MS } from '../../../src/domain/codes/list-cache.ts';
import { patternSetMatches } from '../../../src/domain/codes/lists.ts';
import type { CodeListRepository, NewCodeListEntry, StoredCodeListEntry } from '../../../src/domain/codes/ports.ts';
import { DependencyUnavailable } from '../../../src/domain/errors.ts';

/** An in-memory repository that counts its reads and can be told to fail. */
class FakeLists implements CodeListRepository {
  entries: StoredCodeListEntry[] = [];
  counter = 0n;
  versionReads = 0;
  snapshots = 0;
  down = false;
  private nextId = 1n;

  add(e: NewCodeListEntry) {
    this.entries.push({ ...e, id: this.nextId++, createdAt: new Date(0) });
    this.counter++;
  }
  async version() {
    this.versionReads++;
    if (this.down) throw new Error('database down');
    return this.counter;
  }
  async snapshot() {
    this.snapshots++;
    if (this.down) throw new Error('database down');
    return { version: this.counter, entries: [...this.entries] };
  }
  async page() {
    return this.entries;
  }
  async insert(): Promise<StoredCodeListEntry | undefined> {
    throw new Error('unused');
  }
  async remove(): Promise<boolean> {
    throw new Error('unused');
  }
  async bumpVersion() {
    return ++this.counter;
  }
}

const silent = { info: () => undefined, warn: () => undefined };
const t0 = new Date('2025-03-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

let repo: FakeLists;
let cache: CodeListCache;
beforeEach(() => {
  repo = new FakeLists();
  cache = new CodeListCache(repo, silent);
});

const isLocal = async (now: Date, code: string) => patternSetMatches((await cache.current(now)).local, code);

describe('the in-process code lists (§6: ops changes apply without a restart)', () => {
  it('loads on first use', async () => {
    repo.add({ kind: 'LOCAL', patternType: 'PREFIX', pattern: 'https://pay.mywallet.com/' });
    expect(await isLocal(t0, 'https://pay.mywallet.com/1')).toBe(true);
    expect(cache.loadedVersion).toBe(1n);
  });

  it('reads the version at most once per poll interval, and reloads only when it moved', async () => {
    await cache.current(t0);
    expect([repo.versionReads, repo.snapshots]).toEqual([0, 1]);
    for (let ms = 1; ms < POLL_INTERVAL_MS; ms += 100) await cache.current(at(ms));
    expect([repo.versionReads, repo.snapshots]).toEqual([0, 1]);
    await cache.current(at(POLL_INTERVAL_MS));
    expect([repo.versionReads, repo.snapshots]).toEqual([1, 1]); // unchanged: no reload

    repo.add({ kind: 'LOCAL', patternType: 'PREFIX', pattern: 'abc' }); // another instance's change
    expect(await isLocal(at(POLL_INTERVAL_MS + 1), 'abc1')).toBe(false); // not due yet
    expect(await isLocal(at(2 * POLL_INTERVAL_MS), 'abc1')).toBe(true);
    expect(repo.snapshots).toBe(2);
  });

  it('checks at once after a change made through this instance', async () => {
    await cache.current(t0);
    repo.add({ kind: 'LOCAL', patternType: 'PREFIX', pattern: 'abc' });
    cache.invalidate();
    expect(await isLocal(at(1), 'abc1')).toBe(true);
  });

  it('shares one check between concurrent requests', async () => {
    await cache.current(t0);
    repo.add({ kind: 'LOCAL', patternType: 'PREFIX', pattern: 'abc' });
    const now = at(POLL_INTERVAL_MS);
    await Promise.all(Array.from({ length: 20 }, () => cache.current(now)));
    expect([repo.versionReads, repo.snapshots]).toEqual([1, 2]);
  });

  it('keeps serving the copy in hand when a poll fails, and does not hammer the database', async () => {
    repo.add({ kind: 'BLOCKLIST', patternType: 'PREFIX', pattern: 'bad' });
    await cache.current(t0);
    repo.down = true;
    const lists = await cache.current(at(POLL_INTERVAL_MS));
    expect(patternSetMatches(lists.blocklist, 'bad1')).toBe(true);
    await cache.current(at(POLL_INTERVAL_MS + 500));
    expect(repo.versionReads).toBe(1); // the failed read; the next one is a full interval later
  });

  it('refuses to identify (U, retry) rather than skip the blocklist when the lists never loaded', async () => {
    repo.down = true;
    await expect(cache.current(t0)).rejects.toBeInstanceOf(DependencyUnavailable);
  });

  it('lets the poller job reload off the request path', async () => {
    expect(await cache.refreshIfDue(t0)).toBe(1);
    expect(await cache.refreshIfDue(at(1))).toBe(0);
    repo.add({ kind: 'ALLOWLIST', patternType: 'REGEX', pattern: 'W[0-9]{4}' });
    expect(await cache.refreshIfDue(at(POLL_INTERVAL_MS))).toBe(1);
    expect(patternSetMatches((await cache.current(at(POLL_INTERVAL_MS + 1))).allowlist, 'W1234')).toBe(true);
  });
});
