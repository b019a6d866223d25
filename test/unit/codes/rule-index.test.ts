/**
 * identifyWithRules tries only the rules a code's start allows, and of the EMVCO rules that name
 * the value a merchant account must hold, only those a template of the code holds (matcher.ts,
 * RuleIndex). That must never change an answer: on random rule sets and codes, the indexed scan
 * answers exactly as trying every rule in precedence order does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identifyWithRules } from '../../../src/domain/codes/matcher.ts';
import { compileCodeRules, type WireCodeRule } from '../../../src/domain/codes/rules.ts';
import { emvRule, mai, merchantQr, prefixRule, regexRule, type Tlv } from './fixtures.ts';

const options = { issuer: 'SANDBOX_CLIENT' };
const ACCOUNT_VALUES = ['com.alipayplus', 'com.other', 'A000000615', 'M1'];
const piece = fc.constantFrom('a', 'A', 'b', 'P', 'p', '5', '-', '0', '00', '0002', '000201', 'https://', 'x.example/', 'İ', 'ß', 'Σ');
const text = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));

/**
 * EMVCO rules: filed by an EQUALS restriction's sub-tag and value (on 00, on 01, the first of two),
 * or, with none, or with a primitive tag (whose restrictions matchEmv ignores), under `0002`.
 */
const emvWireRule: fc.Arbitrary<WireCodeRule> = fc
  .tuple(
    fc.dictionary(fc.constantFrom('00', '01', '02'), fc.constantFrom(...ACCOUNT_VALUES, 'S<com.>', 'N<NOT_NULL>', 'C<other>'), { maxKeys: 2 }),
    fc.constantFrom(undefined, undefined, '04', '15', '26'),
    fc.integer({ min: 1, max: 4 }),
  )
  .map(([restrictions, primitiveTag, priority]) => emvRule(mai(restrictions, primitiveTag ? { primitiveMai: true, primitiveMaiTag: primitiveTag } : {}), { priority }));

const wireRule: fc.Arbitrary<WireCodeRule> = fc.oneof(
  text.map((prefix) => prefixRule(prefix, { priority: 1 })),
  fc
    .tuple(text, fc.constantFrom('', '^', '(?i)', '[aA]', '.*'))
    .map(([literal, head]) => regexRule(`${head}${literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*`, { priority: 2 })),
  emvWireRule,
);

/** A merchant account: a template holding 00 (the network's identifier) and sometimes 01, or a primitive one (02-25). */
const account = fc.oneof(
  fc
    .tuple(fc.constantFrom('26', '27', '29', '51'), fc.constantFrom(...ACCOUNT_VALUES), fc.option(fc.constantFrom(...ACCOUNT_VALUES), { nil: undefined }))
    .map(([tag, id, more]): Tlv => [tag, [['00', id], ...(more ? [['01', more] as Tlv] : [])]]),
  fc.constantFrom<Tlv>(['04', '4111111111111111'], ['15', 'M1']),
);

const code = fc.oneof(
  text,
  fc.tuple(text, text).map(([a, b]) => a + b),
  // Several accounts, two templates perhaps holding the same value (one lookup each, one group found twice).
  fc.uniqueArray(account, { minLength: 1, maxLength: 3, selector: ([tag]) => tag }).map((accounts) => merchantQr([...accounts].sort(([a], [b]) => a.localeCompare(b)))),
);

/** Mixed rule sets, and rule sets of EMVCO rules alone (where the EMVCO index decides every answer). */
const ruleSets = fc.oneof(fc.array(wireRule, { minLength: 1, maxLength: 25 }), fc.array(emvWireRule, { minLength: 1, maxLength: 12 }));

describe('the rule index', () => {
  it('answers exactly as trying every rule does', () => {
    fc.assert(
      fc.property(ruleSets, fc.array(code, { minLength: 1, maxLength: 10 }), (rules, codes) => {
        const { ruleSet } = compileCodeRules('prop', rules);
        for (const c of codes) {
          expect(identifyWithRules(ruleSet, c, options)).toEqual(identifyWithRules(ruleSet, c, options, 'all'));
        }
      }),
      { numRuns: 400 },
    );
  });
});
