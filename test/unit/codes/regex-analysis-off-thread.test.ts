/**
 * Applying a rule set never runs recheck's ReDoS analysis on the event loop (java-regex.ts): the
 * rule book's path hands every pattern RE2 cannot run to recheck's worker thread first. Measured
 * here, the first analysis in place held the event loop 1 s, 4.9 s on a busy machine.
 */
import { describe, expect, it, vi } from 'vitest';

const onTheCallingThread = vi.hoisted(() => ({ calls: 0 }));
vi.mock('recheck', async (importOriginal) => {
  const recheck = await importOriginal<typeof import('recheck')>();
  return {
    ...recheck,
    checkSync: (...args: Parameters<typeof recheck.checkSync>) => {
      onTheCallingThread.calls++;
      return recheck.checkSync(...args);
    },
  };
});

const { compileJavaRegex, OFF_THREAD_ANALYSIS_MS, parseWithRegexAnalysis } = await import('../../../src/domain/codes/java-regex.ts');
const { identifyWithRules } = await import('../../../src/domain/codes/matcher.ts');
const { regexRule, ruleSetOf } = await import('./fixtures.ts');

describe('ReDoS analysis when a rule set is applied', { timeout: 2 * OFF_THREAD_ANALYSIS_MS }, () => {
  it('runs in the worker thread: the calling thread never analyses, and the verdict is used', async () => {
    const set = await parseWithRegexAnalysis(() => ruleSetOf(regexRule('^QA(?!0000)[0-9]{4}(?<=[1-9])[A-Z]*'), regexRule('^NP(?=[0-9]{6}$).*')));
    expect(onTheCallingThread.calls).toBe(0);
    expect(identifyWithRules(set, 'QA1239XYZ', { issuer: 'ISSUER' }).isAcCode).toBe(true);
    expect(identifyWithRules(set, 'QA0000XYZ', { issuer: 'ISSUER' }).isAcCode).toBe(false);
    expect(identifyWithRules(set, 'NP123456', { issuer: 'ISSUER' }).isAcCode).toBe(true);
  });

  it('keeps a catastrophic pattern off without analysing it in place', async () => {
    const set = await parseWithRegexAnalysis(() => ruleSetOf(regexRule('^(?=.*x)(a|a)*$')));
    expect(onTheCallingThread.calls).toBe(0);
    expect(identifyWithRules(set, `${'a'.repeat(30)}`, { issuer: 'ISSUER' }).isAcCode).toBe(false);
  });

  it('still analyses in place when compiled directly, outside a rule set (the counter sees it)', () => {
    compileJavaRegex('^QC(?!9)[a-z]+');
    expect(onTheCallingThread.calls).toBeGreaterThan(0);
  });

  it('analyses a pattern once: a refreshed set that keeps it reuses the verdict', async () => {
    const source = '^QD(?!1)[a-z]+';
    await parseWithRegexAnalysis(() => ruleSetOf(regexRule(source)));
    const before = onTheCallingThread.calls;
    const refreshed = await parseWithRegexAnalysis(() => ruleSetOf(regexRule(source)));
    const direct = compileJavaRegex(source);
    expect(onTheCallingThread.calls).toBe(before);
    expect(direct.ok && identifyWithRules(refreshed, 'QDabc', { issuer: 'ISSUER' }).isAcCode).toBe(true);
  });
});
