import type { CodeListKind, CodeListPatternType } from './lists.ts';
import type { Logger } from '../ports.ts';

/** The ports of code identification (§6): the ops-managed lists and the Alipay+ rule sources. */

/** A stored local / allowlist / blocklist entry. */
export interface StoredCodeListEntry {
  readonly id: bigint;
  readonly kind: CodeListKind;
  readonly patternType: CodeListPatternType;
  readonly pattern: string;
  readonly note?: string;
  readonly createdAt: Date;
}

export interface NewCodeListEntry {
  readonly kind: CodeListKind;
  readonly patternType: CodeListPatternType;
  readonly pattern: string;
  readonly note?: string;
}

/** All entries of every list, and the version they are at least as new as. */
export interface CodeListSnapshot {
  readonly version: bigint;
  readonly entries: readonly StoredCodeListEntry[];
}

export interface CodeListRepository {
  /** The lists' version counter: one cheap read, polled by every instance. */
  version(): Promise<bigint>;
  /**
   * The version, read FIRST, then every entry: entries are then at least as new as the version,
   * so a change committed in between is picked up by the next poll, never lost.
   */
  snapshot(): Promise<CodeListSnapshot>;
  /** One list's entries by id, from `afterId` on, at most `limit`. */
  page(kind: CodeListKind, o: { afterId?: bigint; limit: number }): Promise<readonly StoredCodeListEntry[]>;
  /** INSERT ... ON CONFLICT DO NOTHING: undefined when the same (kind, type, pattern) exists. */
  insert(entry: NewCodeListEntry): Promise<StoredCodeListEntry | undefined>;
  /** Deletes the entry of that list; false when there is none. */
  remove(kind: CodeListKind, id: bigint): Promise<boolean>;
  /** Bumps the version counter; call it in the same transaction as the change. Returns the new version. */
  bumpVersion(): Promise<bigint>;
}

/** Alipay+ `inquiryCodeRules`, signed both ways. Resolves to the verified answer body; throws on any failure. */
export interface RemoteCodeRules {
  fetch(): Promise<unknown>;
}

export interface StoredCodeRules {
  readonly version: string;
  readonly body: unknown;
  readonly fetchedAt: Date;
}

/** The last rule set fetched from Alipay+, kept in Postgres for the next start. */
export interface CodeRuleSetStore {
  latest(): Promise<StoredCodeRules | undefined>;
  /** Keeps this one as the latest (and only) copy. */
  save(rules: StoredCodeRules): Promise<void>;
}

/** The part of the one Logger (domain/ports.ts) code identification logs through. */
export type CodesLog = Pick<Logger, 'info' | 'warn'>;

/**
 * Alipay+ remote identification (code-identification-sdk.md fact 12): asks Alipay+ about a code
 * whose winning rule is untrusted. Resolves to the answer when the call succeeded with
 * `result.resultCode` SUCCESS; undefined for any failure (timeout, network, HTTP, shape), which
 * means "not an Alipay+ code". Never throws.
 */
export interface RemoteCodeIdentification {
  identify(codeValue: string): Promise<RemoteAnswer | undefined>;
}

/** What Alipay+ remote identification answered, already checked for `result.resultCode` SUCCESS. */
export interface RemoteAnswer {
  readonly isSupported: boolean;
  readonly postCodeMatchActionType?: string;
  readonly redirectUrl?: string;
  readonly userAgent?: string;
  readonly extendInfo?: string | Readonly<Record<string, unknown>>;
}
