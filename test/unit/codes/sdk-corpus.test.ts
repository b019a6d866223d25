/**
 * The corpus of code-identification-sdk.md's sample families (test/fixtures/codes/sandbox-like.ts):
 * every code gets the answer the facts page says Ant's SDK gives, on the family rule set alone and
 * on the same set grown to several hundred rules, through the rule index and through a plain scan.
 */
import { describe, expect, it } from 'vitest';
import { identifyWithRules } from '../../../src/domain/codes/matcher.ts';
import { parseWithRegexAnalysis } from '../../../src/domain/codes/java-regex.ts';
import { compileCodeRules } from '../../../src/domain/codes/rules.ts';
import { corpus, corpusIssuer, sandboxLikeRules } from '../../fixtures/codes/sandbox-like.ts';

// As the rule book applies a set: the Nepal lookaheads are analysed off the event loop first.
const small = await parseWithRegexAnalysis(() => compileCodeRules('families', sandboxLikeRules()));
const large = await parseWithRegexAnalysis(() => compileCodeRules('several-hundred', sandboxLikeRules(200)));

describe('the sandbox-like rule set', () => {
  it('loads whole, several hundred rules, none rejected', () => {
    expect(small.rejected).toEqual([]);
    expect(large.rejected).toEqual([]);
    expect(large.ruleSet.rules.length).toBeGreaterThan(600);
  });
});

describe('the corpus: the SDK answer for every sample code', () => {
  for (const [label, compiled] of [
    ['families', small],
    ['several hundred rules', large],
  ] as const) {
    it.each(corpus().map((c) => [c.name, c] as const))(`${label}: %s`, (_name, c) => {
      for (const scan of ['indexed', 'all'] as const) {
        const answer = identifyWithRules(compiled.ruleSet, c.code, { issuer: corpusIssuer }, scan);
        if (c.remote) {
          expect('remote' in answer && answer.remote !== undefined).toBe(true);
          continue;
        }
        expect(answer).toMatchObject(c.expected);
        if (c.expected.isAcCode && c.expected.postCodeMatchActionType === 'DECODE') expect(answer).not.toHaveProperty('redirectUrl');
      }
    });
  }
});
