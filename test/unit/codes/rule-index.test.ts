/**
 * identifyWithRules tries only the rules a code's first character allows (matcher.ts, RuleIndex).
 * That must never change an answer: on random rule sets and codes, the indexed scan answers exactly
 * as trying every rule in precedence order does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identifyWithRules } from '../../../src/domain/codes/matcher.ts';
import { compileCodeRules, type WireCodeRule } from '../../../src/domain/codes/rules.ts';
import { emvRule, mai, merchantQr, prefixRule, regexRule } from './fixtures.ts';

const options = { issuer: 'SANDBOX_CLIENT' };
const piece = fc.constantFrom('a', 'A', 'b', 'P', 'p', '5', '-', '0', '00', '0002', '000201', 'https://', 'x.example/', 'İ', 'ß', 'Σ');
const text = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));

const wireRule: fc.Arbitrary<WireCodeRule> = fc.oneof(
  text.map((prefix) => prefixRule(prefix, { priority: 1 })),
  fc
    .tuple(text, fc.constantFrom('', '^', '(?i)', '[aA]', '.*'))
    .map(([literal, head]) => regexRule(`${head}${literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`, { priority: 2 })),
  fc.constantFrom('com.alipayplus', 'com.other').map((v) => emvRule(mai({ '00': v }), { priority: 3 })),
);

const code = fc.oneof(
  text,
  fc.tuple(text, text).map(([a, b]) => a + b),
  fc.constantFrom(merchantQr([['26', [['00', 'com.alipayplus']]]]), merchantQr([['27', [['00', 'com.other']]]])),
);

describe('the rule index', () => {
  it('answers exactly as trying every rule does', () => {
    fc.assert(
      fc.property(fc.array(wireRule, { minLength: 1, maxLength: 25 }), fc.array(code, { minLength: 1, maxLength: 10 }), (rules, codes) => {
        const { ruleSet } = compileCodeRules('prop', rules);
        for (const c of codes) {
          expect(identifyWithRules(ruleSet, c, options)).toEqual(identifyWithRules(ruleSet, c, options, 'all'));
        }
      }),
      { numRuns: 400 },
    );
  });
});
