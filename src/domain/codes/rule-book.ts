import type { CodeRuleSetStore, CodesLog, RemoteCodeRules } from './ports.ts';
import { parseWithRegexAnalysis } from './java-regex.ts';
import { parseCodeRulesAnswer, type CodeRuleSet, type CodeRulesLoad } from './rules.ts';

/**
 * The Alipay+ code rules in force (§6), loaded the way the official server SDK's
 * `CodeIdentificationService#init` does:
 *
 * - at start: the remote `inquiryCodeRules` answer; else the last copy stored in Postgres; else
 *   the preset file shipped with the service; when none loads, start-up is blocked (the SDK's init
 *   answers F/U and "the application startup is blocked"): loadInitial throws CodeRulesUnavailable;
 * - then every 30 minutes, or 2 minutes after a failed attempt, the remote set is pulled again
 *   and applied only when its `version` differs from the one in force; a new remote set is also
 *   stored, for the next start.
 *
 * A remote answer that fails (network, signature, result not S, every rule rejected) never
 * replaces the set in force. Without a remote source (ALIPAYPLUS_BASE_URL unset) nothing is
 * pulled and the stored or preset set stays.
 *
 * Time comes in as `now`; the refresher job calls refreshIfDue(now) every second or so and it
 * does nothing until the next pull is due.
 */

export const REFRESH_INTERVAL_MS = 30 * 60 * 1000;
export const RETRY_AFTER_FAILURE_MS = 2 * 60 * 1000;

export type CodeRulesOrigin = 'REMOTE' | 'STORED' | 'PRESET';

export interface LoadedCodeRules {
  readonly ruleSet: CodeRuleSet;
  readonly origin: CodeRulesOrigin;
  readonly loadedAt: Date;
}

/** No rule set could be loaded: the server must not start (§6, the SDK's init semantics). */
export class CodeRulesUnavailable extends Error {
  constructor(readonly reasons: readonly string[]) {
    super(`No Alipay+ code rules could be loaded, start-up blocked (§6): ${reasons.join('; ')}`);
    this.name = 'CodeRulesUnavailable';
  }
}

export interface CodeRuleBookDeps {
  /** Absent when ALIPAYPLUS_BASE_URL is unset. */
  readonly remote?: RemoteCodeRules;
  readonly store: CodeRuleSetStore;
  /** The preset file's content (same shape as an inquiryCodeRules answer). */
  readonly preset: () => Promise<unknown>;
  readonly log: CodesLog;
}

export class CodeRuleBook {
  private loaded: LoadedCodeRules | undefined;
  private nextPullAt: Date | undefined;

  constructor(private readonly deps: CodeRuleBookDeps) {}

  /** The rules in force, or undefined before loadInitial succeeded. */
  get current(): LoadedCodeRules | undefined {
    return this.loaded;
  }

  /** When the next remote pull is due; undefined without a remote source. */
  get nextRefreshAt(): Date | undefined {
    return this.nextPullAt;
  }

  /** The rule set to identify with; throws before loadInitial succeeded. */
  ruleSet(): CodeRuleSet {
    if (!this.loaded) throw new Error('code rules not loaded');
    return this.loaded.ruleSet;
  }

  /** For /readyz: throws while no rule set is in force. */
  async assertReady(): Promise<void> {
    this.ruleSet();
  }

  /** Remote, else stored, else preset; throws CodeRulesUnavailable when none loads. */
  async loadInitial(now: Date): Promise<LoadedCodeRules> {
    const reasons: string[] = [];
    if (this.deps.remote) {
      const remote = await this.pullRemote(now);
      if (remote.ok) return remote.loaded;
      reasons.push(`remote: ${remote.reason}`);
    } else {
      this.deps.log.info({}, 'inquiryCodeRules skipped: ALIPAYPLUS_BASE_URL is not set; using the stored or preset code rules');
      reasons.push('remote: ALIPAYPLUS_BASE_URL is not set');
    }
    const stored = await this.loadStored(now);
    if (stored.ok) return stored.loaded;
    reasons.push(`stored: ${stored.reason}`);
    const preset = await this.loadPreset(now);
    if (preset.ok) return preset.loaded;
    reasons.push(`preset: ${preset.reason}`);
    throw new CodeRulesUnavailable(reasons);
  }

  /**
   * The refresher job's step: pulls the remote set when due. Returns 1 when a pull succeeded
   * (applied or not), 0 when none was due; throws after a failed pull (the job loop logs it), the
   * next attempt then due in 2 minutes.
   */
  async refreshIfDue(now: Date): Promise<number> {
    if (!this.deps.remote || !this.nextPullAt || now.getTime() < this.nextPullAt.getTime()) return 0;
    const pulled = await this.pullRemote(now);
    if (!pulled.ok) throw new Error(`code rules refresh failed, keeping version ${this.loaded?.ruleSet.version ?? '(none)'}: ${pulled.reason}`);
    return 1;
  }

  private async pullRemote(now: Date): Promise<{ ok: true; loaded: LoadedCodeRules } | { ok: false; reason: string }> {
    const remote = this.deps.remote;
    if (!remote) return { ok: false, reason: 'no remote source' };
    let body: unknown;
    try {
      body = await remote.fetch();
    } catch (err) {
      return this.pullFailed(now, errorText(err));
    }
    const loaded = this.loaded;
    const version = peekVersion(body);
    if (loaded && version !== undefined && version === loaded.ruleSet.version) {
      this.nextPullAt = after(now, REFRESH_INTERVAL_MS);
      this.deps.log.info({ version }, 'code rules unchanged');
      return { ok: true, loaded };
    }
    const load = await parseWithRegexAnalysis(() => parseCodeRulesAnswer(body));
    if (!load.ok) return this.pullFailed(now, load.reason);
    this.nextPullAt = after(now, REFRESH_INTERVAL_MS);
    const applied = this.apply(load, 'REMOTE', now);
    try {
      await this.deps.store.save({ version: load.ruleSet.version, body, fetchedAt: now });
    } catch (err) {
      // The set is in force; only the copy for the next start is missing.
      this.deps.log.warn({ version: load.ruleSet.version, err: errorText(err) }, 'code rules not stored');
    }
    return { ok: true, loaded: applied };
  }

  private pullFailed(now: Date, reason: string): { ok: false; reason: string } {
    this.nextPullAt = after(now, RETRY_AFTER_FAILURE_MS);
    this.deps.log.warn({ reason, retryAt: this.nextPullAt.toISOString() }, 'inquiryCodeRules failed');
    return { ok: false, reason };
  }

  private async loadStored(now: Date): Promise<{ ok: true; loaded: LoadedCodeRules } | { ok: false; reason: string }> {
    let stored;
    try {
      stored = await this.deps.store.latest();
    } catch (err) {
      return { ok: false, reason: `could not be read: ${errorText(err)}` };
    }
    if (!stored) return { ok: false, reason: 'none stored' };
    const load = await parseWithRegexAnalysis(() => parseCodeRulesAnswer(stored.body));
    if (!load.ok) return { ok: false, reason: load.reason };
    return { ok: true, loaded: this.apply(load, 'STORED', now) };
  }

  private async loadPreset(now: Date): Promise<{ ok: true; loaded: LoadedCodeRules } | { ok: false; reason: string }> {
    let body: unknown;
    try {
      body = await this.deps.preset();
    } catch (err) {
      return { ok: false, reason: `could not be read: ${errorText(err)}` };
    }
    const load = await parseWithRegexAnalysis(() => parseCodeRulesAnswer(body));
    if (!load.ok) return { ok: false, reason: load.reason };
    return { ok: true, loaded: this.apply(load, 'PRESET', now) };
  }

  private apply(load: Extract<CodeRulesLoad, { ok: true }>, origin: CodeRulesOrigin, now: Date): LoadedCodeRules {
    const previous = this.loaded?.ruleSet.version;
    this.loaded = { ruleSet: load.ruleSet, origin, loadedAt: now };
    for (const r of load.rejected.slice(0, 20)) this.deps.log.warn({ version: load.ruleSet.version, index: r.index, reason: r.reason }, 'code rule rejected');
    this.deps.log.info({ version: load.ruleSet.version, previous, origin, rules: load.ruleSet.rules.length, rejected: load.rejected.length }, 'code rules applied');
    return this.loaded;
  }
}

/** A successful answer's version without compiling its rules, to skip an unchanged set cheaply. */
function peekVersion(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { version, result } = body as { version?: unknown; result?: { resultStatus?: unknown } };
  if (result?.resultStatus !== 'S') return undefined;
  return typeof version === 'string' || typeof version === 'number' ? String(version) : undefined;
}

function after(now: Date, ms: number): Date {
  return new Date(now.getTime() + ms);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
