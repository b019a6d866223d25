import { describe, it, expect, beforeEach } from 'vitest';
import type { CodeRuleSetStore, RemoteCodeRules, StoredCodeRules } from '../../../src/domain/codes/ports.ts';
import { CodeRuleBook, CodeRulesUnavailable, REFRESH_INTERVAL_MS, RETRY_AFTER_FAILURE_MS } from '../../../src/domain/codes/rule-book.ts';
import { identifyWithRules } from '../../../src/domain/codes/matcher.ts';
import { prefixRule, type RuleOptions } from './fixtures.ts';

const MINUTE = 60_000;
const SUCCESS = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };

/** An inquiryCodeRules answer whose one rule decodes codes starting with `prefix`. */
function answer(version: string, prefix = `https://qr.${version}.example/`, o: RuleOptions = {}) {
  return { result: SUCCESS, version, codeRules: [prefixRule(prefix, o)] };
}

class FakeRemote implements RemoteCodeRules {
  calls = 0;
  next: unknown | Error = new Error('not set');
  async fetch(): Promise<unknown> {
    this.calls++;
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
}

class FakeStore implements CodeRuleSetStore {
  saved: StoredCodeRules | undefined;
  failReads = false;
  async latest() {
    if (this.failReads) throw new Error('database down');
    return this.saved;
  }
  async save(rules: StoredCodeRules) {
    this.saved = rules;
  }
}

const silent = { info: () => undefined, warn: () => undefined };

let remote: FakeRemote;
let store: FakeStore;
let preset: unknown;
const t0 = new Date('2025-03-01T00:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);

function book(o: { withRemote?: boolean } = {}) {
  return new CodeRuleBook({
    ...(o.withRemote !== false && { remote }),
    store,
    preset: async () => {
      if (preset instanceof Error) throw preset;
      return preset;
    },
    log: silent,
  });
}

const decodes = (b: CodeRuleBook, code: string) => identifyWithRules(b.ruleSet(), code, { issuer: 'X' }).isAcCode;

beforeEach(() => {
  remote = new FakeRemote();
  store = new FakeStore();
  preset = answer('preset-1', 'https://qr.preset.example/');
});

describe('loading code rules at start (§6: remote, else stored, else preset, else blocked)', () => {
  it('loads the remote set and stores it for the next start', async () => {
    remote.next = answer('v1');
    const b = book();
    const loaded = await b.loadInitial(t0);
    expect(loaded).toMatchObject({ origin: 'REMOTE', ruleSet: { version: 'v1' } });
    expect(store.saved).toMatchObject({ version: 'v1', body: answer('v1'), fetchedAt: t0 });
    expect(decodes(b, 'https://qr.v1.example/123')).toBe(true);
  });

  it('uses the stored copy when the remote call fails', async () => {
    store.saved = { version: 'v0', body: answer('v0'), fetchedAt: at(-60) };
    remote.next = new Error('connect ECONNREFUSED');
    const loaded = await book().loadInitial(t0);
    expect(loaded).toMatchObject({ origin: 'STORED', ruleSet: { version: 'v0' } });
  });

  it('uses the stored copy when the remote answer is refused (e.g. a bad signature)', async () => {
    store.saved = { version: 'v0', body: answer('v0'), fetchedAt: at(-60) };
    remote.next = new Error('inquiryCodeRules answer signature does not verify');
    expect((await book().loadInitial(t0)).origin).toBe('STORED');
  });

  it('uses the stored copy when the remote answer is not S', async () => {
    store.saved = { version: 'v0', body: answer('v0'), fetchedAt: at(-60) };
    remote.next = { result: { resultCode: 'SYSTEM_BUSY', resultStatus: 'U' }, version: 'v9', codeRules: [] };
    expect((await book().loadInitial(t0)).origin).toBe('STORED');
  });

  it('falls back to the preset when the remote fails and nothing is stored', async () => {
    remote.next = new Error('timeout');
    const b = book();
    expect(await b.loadInitial(t0)).toMatchObject({ origin: 'PRESET', ruleSet: { version: 'preset-1' } });
    expect(decodes(b, 'https://qr.preset.example/1')).toBe(true);
  });

  it('falls back to the preset when the stored copy cannot be read', async () => {
    remote.next = new Error('timeout');
    store.failReads = true;
    expect((await book().loadInitial(t0)).origin).toBe('PRESET');
  });

  it('skips the remote call without ALIPAYPLUS_BASE_URL and never schedules one', async () => {
    store.saved = { version: 'v0', body: answer('v0'), fetchedAt: at(-60) };
    const b = book({ withRemote: false });
    expect((await b.loadInitial(t0)).origin).toBe('STORED');
    expect(b.nextRefreshAt).toBeUndefined();
    expect(await b.refreshIfDue(at(600))).toBe(0);
  });

  it('blocks start-up with every reason when no set loads', async () => {
    remote.next = new Error('connect ECONNREFUSED');
    preset = { result: SUCCESS, codeRules: [] }; // no version
    const b = book();
    const failure = await b.loadInitial(t0).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CodeRulesUnavailable);
    const message = (failure as Error).message;
    expect(message).toContain('start-up blocked');
    expect(message).toContain('remote: connect ECONNREFUSED');
    expect(message).toContain('stored: none stored');
    expect(message).toContain('preset: invalid code rules answer');
    await expect(b.assertReady()).rejects.toThrow('not loaded');
  });

  it('blocks start-up when the preset file cannot be read either', async () => {
    remote.next = new Error('down');
    preset = new Error('ENOENT: code-rules-preset.json');
    await expect(book().loadInitial(t0)).rejects.toThrow(/preset: could not be read: ENOENT/);
  });
});

describe('refreshing code rules (§6: every 30 minutes, 2 minutes after a failure, new versions only)', () => {
  it('is due 30 minutes after a successful pull, not before', async () => {
    remote.next = answer('v1');
    const b = book();
    await b.loadInitial(t0);
    expect(b.nextRefreshAt).toEqual(at(30));
    expect(await b.refreshIfDue(at(29.99))).toBe(0);
    expect(remote.calls).toBe(1);
    expect(await b.refreshIfDue(at(30))).toBe(1);
    expect(remote.calls).toBe(2);
    expect(b.nextRefreshAt).toEqual(at(60));
  });

  it('does not re-apply the same version', async () => {
    remote.next = answer('v1');
    const b = book();
    await b.loadInitial(t0);
    const before = b.ruleSet();
    remote.next = answer('v1', 'https://changed.example/'); // same version: not looked at
    await b.refreshIfDue(at(30));
    expect(b.ruleSet()).toBe(before);
    expect(decodes(b, 'https://changed.example/1')).toBe(false);
  });

  it('applies a new version and stores it', async () => {
    remote.next = answer('v1');
    const b = book();
    await b.loadInitial(t0);
    remote.next = answer('v2');
    expect(await b.refreshIfDue(at(30))).toBe(1);
    expect(b.current).toMatchObject({ origin: 'REMOTE', ruleSet: { version: 'v2' }, loadedAt: at(30) });
    expect(decodes(b, 'https://qr.v2.example/1')).toBe(true);
    expect(decodes(b, 'https://qr.v1.example/1')).toBe(false);
    expect(store.saved?.version).toBe('v2');
  });

  it('after a failure keeps the set in force and is due again in 2 minutes', async () => {
    remote.next = answer('v1');
    const b = book();
    await b.loadInitial(t0);
    remote.next = new Error('HTTP 502');
    await expect(b.refreshIfDue(at(30))).rejects.toThrow(/refresh failed, keeping version v1: HTTP 502/);
    expect(b.ruleSet().version).toBe('v1');
    expect(b.nextRefreshAt).toEqual(at(30 + RETRY_AFTER_FAILURE_MS / MINUTE));
    expect(await b.refreshIfDue(at(31.99))).toBe(0);
    remote.next = answer('v2');
    expect(await b.refreshIfDue(at(32))).toBe(1);
    expect(b.ruleSet().version).toBe('v2');
    expect(b.nextRefreshAt).toEqual(at(32 + REFRESH_INTERVAL_MS / MINUTE));
  });

  it('retries 2 minutes after start when start-up had to fall back', async () => {
    remote.next = new Error('down');
    const b = book();
    expect((await b.loadInitial(t0)).origin).toBe('PRESET');
    expect(b.nextRefreshAt).toEqual(at(2));
    remote.next = answer('v1');
    expect(await b.refreshIfDue(at(2))).toBe(1);
    expect(b.current?.origin).toBe('REMOTE');
  });

  it('refuses a new answer whose rules are all rejected, keeping the set in force', async () => {
    remote.next = answer('v1');
    const b = book();
    await b.loadInitial(t0);
    remote.next = { result: SUCCESS, version: 'v2', codeRules: [{ codeMatchPattern: { matchMethod: 'REGEX', regex: 'a' } }] };
    await expect(b.refreshIfDue(at(30))).rejects.toThrow(/every one of the 1 code rules was rejected/);
    expect(b.ruleSet().version).toBe('v1');
  });

  it('refuses a new set with an unknown matchMethod as a whole, keeping the old version (fact 1)', async () => {
    remote.next = answer('v1');
    const b = book();
    await b.loadInitial(t0);
    const good = { codeMatchPattern: { matchMethod: 'PREFIX', prefix: 'x' }, postCodeMatchAction: { postCodeMatchActionType: 'DECODE' } };
    remote.next = { result: SUCCESS, version: 'v2', codeRules: [good, { ...good, codeMatchPattern: { matchMethod: 'CONTAINS', prefix: 'x' } }] };
    await expect(b.refreshIfDue(at(30))).rejects.toThrow(/matchMethod "CONTAINS".*whole set is invalid/);
    expect(b.ruleSet().version).toBe('v1');
    expect(store.saved?.version).toBe('v1');
  });
});
