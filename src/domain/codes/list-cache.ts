import { DependencyUnavailable } from '../errors.ts';
import { compileCodeLists, type CompiledCodeLists } from './lists.ts';
import type { Logger } from '../ports.ts';
import type { CodeListRepository } from './ports.ts';

/**
 * The compiled local / allowlist / blocklist patterns of this instance (§6: "ops manage without a
 * restart"), kept in sync with Postgres on every instance:
 *
 * - every change to the lists bumps a version counter in the same transaction (CodeListRepository);
 * - an instance reads that counter at most once per POLL_INTERVAL_MS, on the identify path (the
 *   request that finds the check due waits for one indexed read; concurrent requests share it)
 *   and from the poller job (so an idle instance is fresh too); when it moved, all entries are
 *   read again and recompiled, off to the side, then swapped in at once;
 * - a change made through this instance invalidates its copy at once.
 *
 * So a change reaches every instance within POLL_INTERVAL_MS plus one reload, with no restart and
 * no reliance on Redis. When the database does not answer a poll, the copy in hand keeps serving
 * (and the next poll is again POLL_INTERVAL_MS away); only an instance that never loaded the
 * lists refuses to identify (U UNKNOWN_EXCEPTION, retry), rather than skip the blocklist.
 */

export const POLL_INTERVAL_MS = 2000;

export class CodeListCache {
  private lists: CompiledCodeLists | undefined;
  private version: bigint | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<boolean> | undefined;

  constructor(
    private readonly repo: CodeListRepository,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
    private readonly pollIntervalMs = POLL_INTERVAL_MS,
  ) {}

  /** The version this instance has compiled, if any. */
  get loadedVersion(): bigint | undefined {
    return this.version;
  }

  /** The lists to identify with, checked against the database when a poll is due. */
  async current(now: Date): Promise<CompiledCodeLists> {
    if (this.lists && !this.isDue(now)) return this.lists;
    try {
      await this.sync(now);
    } catch (err) {
      if (!this.lists) throw new DependencyUnavailable('database', err);
      this.log.warn({ err: errorText(err), version: String(this.version) }, 'code lists poll failed; serving the copy in hand');
    }
    if (!this.lists) throw new DependencyUnavailable('database');
    return this.lists;
  }

  /** The poller job's step: 1 when the lists were reloaded, else 0. */
  async refreshIfDue(now: Date): Promise<number> {
    if (this.lists && !this.isDue(now)) return 0;
    return (await this.sync(now)) ? 1 : 0;
  }

  /** The next read checks the database (after a change through this instance). */
  invalidate(): void {
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private isDue(now: Date): boolean {
    return now.getTime() - this.checkedAt >= this.pollIntervalMs;
  }

  /** One check at a time: concurrent callers share it. True when the lists were reloaded. */
  private sync(now: Date): Promise<boolean> {
    this.inFlight ??= this.checkAndReload(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async checkAndReload(now: Date): Promise<boolean> {
    // The next check is a full interval away whatever happens, so a failing database is not hammered.
    this.checkedAt = now.getTime();
    if (this.lists && (await this.repo.version()) === this.version) return false;
    const snapshot = await this.repo.snapshot();
    const { lists, rejected } = compileCodeLists(snapshot.entries);
    for (const r of rejected.slice(0, 20)) {
      this.log.warn({ kind: r.entry.kind, patternType: r.entry.patternType, reason: r.reason }, 'code list entry rejected');
    }
    const previous = this.version;
    this.lists = lists;
    this.version = snapshot.version;
    this.log.info(
      { version: String(snapshot.version), previous: previous === undefined ? undefined : String(previous), entries: snapshot.entries.length },
      'code lists applied',
    );
    return true;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
