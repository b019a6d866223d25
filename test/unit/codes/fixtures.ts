import { expect } from 'vitest';
import type { CodeListEntry } from '../../../src/domain/codes/lists.ts';
import { compileCodeRules, type CodeRuleSet, type WireCodeRule } from '../../../src/domain/codes/rules.ts';

// ---- EMVCo payloads, built independently of the code under test ----

/** A data object: a primitive value, or a template given as its nested objects. */
export type Tlv = readonly [tag: string, value: string | readonly Tlv[]];

export function tlv(objects: readonly Tlv[]): string {
  return objects
    .map(([tag, value]) => {
      const v = typeof value === 'string' ? value : tlv(value);
      return `${tag}${String(v.length).padStart(2, '0')}${v}`;
    })
    .join('');
}

/** Bit-by-bit CRC16-CCITT (poly 0x1021, init 0xFFFF) over UTF-8 bytes: no table, no shared code. */
export function crc16(text: string): string {
  let crc = 0xffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/** Appends `6304` and the CRC over everything before it, including `6304`. */
export function withCrc(body: string): string {
  return `${body}6304${crc16(`${body}6304`)}`;
}

/** A merchant-presented QR: `000201`, the given objects, then tag 63. */
export function emvQr(objects: readonly Tlv[]): string {
  return withCrc(`000201${tlv(objects)}`);
}

/** A typical static MPM QR with the given merchant account templates and primitives. */
export function merchantQr(accounts: readonly Tlv[]): string {
  return emvQr([['01', '11'], ...accounts, ['52', '5812'], ['53', '702'], ['58', 'SG'], ['59', 'NASI LEMAK KING'], ['60', 'SINGAPORE'], ['62', [['05', 'REF123']]]]);
}

// ---- wire rules (§6 shape) ----

/** extendInfo as Alipay+ sends it: a JSON string whose matchResult (and matchPattern) are JSON strings. */
export function extendInfo(matchResult: Record<string, unknown>, matchPattern?: Record<string, unknown>): string {
  return JSON.stringify({
    matchResult: JSON.stringify(matchResult),
    ...(matchPattern && { matchPattern: JSON.stringify(matchPattern) }),
  });
}

type Action = WireCodeRule['postCodeMatchAction'];
type EmvMatchRule = NonNullable<WireCodeRule['codeMatchPattern']['emvMatchRules']>[number];

export interface RuleOptions {
  priority?: number;
  action?: Action;
  matchResult?: Record<string, unknown>;
}

const DECODE: Action = { postCodeMatchActionType: 'DECODE' };

function rule(pattern: WireCodeRule['codeMatchPattern'], o: RuleOptions, matchPattern?: Record<string, unknown>): WireCodeRule {
  return {
    codeMatchPattern: { ...pattern, ...(o.priority !== undefined && { priority: o.priority }) },
    postCodeMatchAction: o.action ?? DECODE,
    extendInfo: extendInfo(o.matchResult ?? { routerType: 'AC_CODE' }, matchPattern),
  };
}

export const prefixRule = (prefix: string, o: RuleOptions = {}) => rule({ matchMethod: 'PREFIX', prefix }, o);
export const regexRule = (regex: string, o: RuleOptions = {}) => rule({ matchMethod: 'REGEX', regex }, o);

/** An EMVCO rule as the sandbox writes it: the pattern in extendInfo.matchPattern (fact 5), priority there too. */
export const emvRule = (matchPattern: Record<string, unknown>, o: RuleOptions = {}): WireCodeRule =>
  rule(
    { matchMethod: 'EMVCO', emvMatchRules: [] },
    { ...o, priority: undefined },
    {
      primitiveMai: false,
      ...(o.priority !== undefined && { priority: o.priority }),
      ...matchPattern,
    },
  );

/** A template restriction: `merchantMaiRestrictions` {sub-tag: value pattern}. */
export const mai = (restrictions: Record<string, string>, more: Record<string, unknown> = {}) => ({ merchantMaiRestrictions: restrictions, ...more });

/** An EMVCO rule with a blank extendInfo: the pattern comes from emvMatchRules (fact 5). */
export const legacyEmvRule = (emvMatchRules: EmvMatchRule[], o: Omit<RuleOptions, 'matchResult'> = {}): WireCodeRule => ({
  codeMatchPattern: { matchMethod: 'EMVCO', emvMatchRules, ...(o.priority !== undefined && { priority: o.priority }) },
  postCodeMatchAction: o.action ?? DECODE,
  extendInfo: '',
});

/** Sub-tag condition of a merchant account template (`primitiveMerchant: false`). */
export const subTag = (tag: string, value?: string): EmvMatchRule => ({
  primitiveMerchant: false,
  extendedMerchantTag: tag,
  ...(value !== undefined && { extendedMerchantValue: value }),
});

export const openUrl = (a: Omit<Action, 'postCodeMatchActionType'>): Action => ({ postCodeMatchActionType: 'OPEN_URL', ...a });

/** Compiles the rules and insists that none was rejected. */
export function ruleSetOf(...rules: WireCodeRule[]): CodeRuleSet {
  const { ruleSet, rejected } = compileCodeRules('test-1', rules);
  expect(rejected).toEqual([]);
  return ruleSet;
}

// ---- production scale ----

/** 1,000 rules of all three methods, the one that should win buried near the end (scale test, bench/identify.ts). */
export function thousandRules(): WireCodeRule[] {
  const rules: WireCodeRule[] = [];
  for (let i = 0; i < 997; i++) {
    if (i % 3 === 0) rules.push(prefixRule(`https://qr.partner${i}.example/`, { priority: 100 + (i % 50) }));
    else if (i % 3 === 1) rules.push(regexRule(`P${i}-[0-9]{4,12}`, { priority: 100 + (i % 50) }));
    else rules.push(emvRule(mai({ '00': `com.partner${i}` }), { priority: 100 + (i % 50) }));
  }
  rules.push(emvRule(mai({ '00': 'com.alipayplus' }), { matchResult: { routerType: 'EMV' } }));
  rules.push(prefixRule('https://qr.alipayplus.com/', { priority: 9000, matchResult: { routerType: 'PREFIX' } }));
  rules.push(regexRule('P5-[0-9]{4,12}', { priority: 99, matchResult: { routerType: 'REGEX' } }));
  return rules;
}

/** 10,000 list entries: mostly prefixes, a few regexes, spread over the three kinds. */
export function tenThousandEntries(): CodeListEntry[] {
  const entries: CodeListEntry[] = [];
  const kinds = ['LOCAL', 'ALLOWLIST', 'BLOCKLIST'] as const;
  for (let i = 0; i < 10_000; i++) {
    const kind = kinds[i % 3] ?? 'LOCAL';
    if (i % 500 === 0) entries.push({ kind, patternType: 'REGEX', pattern: `MW${i}-[A-Z]{2}[0-9]{6}` });
    else entries.push({ kind, patternType: 'PREFIX', pattern: `https://m${i}.mywallet.example/` });
  }
  return entries;
}
