import { codeValueProblem } from './code-value.ts';
import { EMV_PREFIX, findObject, isMerchantAccountTemplateTag, looksLikeEmvco, parseEmvco, type EmvDataObject } from './emvco.ts';
import type { CodePattern, CodeRuleSet, CompiledRule, EmvCondition, EmvUrlLocation, PostCodeMatchActionType, UrlPart, UrlSource, ValueMatcher } from './rules.ts';

/**
 * Alipay+ identification (§6), local and synchronous: the first rule in precedence order
 * (priority ascending, then wire order; CodeRuleSet.rules is already sorted) that matches the code
 * and whose action can be carried out decides the answer.
 *
 * Work per call: the code is lower-cased at most once and parsed as EMVCo at most once, lazily,
 * when the first rule that needs it is reached; a code that does not start with `000201` is never
 * parsed. Each rule's check is then a startsWith, one precompiled regex, or a few map look-ups.
 */

export interface IdentifyOptions {
  /** Our client id, filled into `${issuer}` of CONSTRUCT_DYNAMIC_URL expressions. */
  readonly issuer: string;
}

export interface RuleIdentification {
  readonly isAcCode: boolean;
  readonly rule?: CompiledRule;
  readonly postCodeMatchActionType?: PostCodeMatchActionType;
  readonly acDecodeConfig?: string;
  readonly redirectUrl?: string;
  /** For OPEN_URL only: the user agent the app's webview should present. */
  readonly userAgent?: string;
}

const NOT_AN_AC_CODE: RuleIdentification = Object.freeze({ isAcCode: false });

/**
 * `scan`: 'indexed' (the default) tries only the rules whose required first character fits the
 * code (RuleIndex); 'all' tries every rule, the plain reading of §6, which tests compare it with.
 */
export function identifyWithRules(ruleSet: CodeRuleSet, codeValue: string, options: IdentifyOptions, scan: 'indexed' | 'all' = 'indexed'): RuleIdentification {
  if (codeValueProblem(codeValue)) return NOT_AN_AC_CODE;
  const code = new CodeUnderTest(codeValue);
  const rules = scan === 'all' ? ruleSet.rules : candidateRules(ruleSet, code.lower);
  for (const rule of rules) {
    const match = matchPattern(rule.pattern, code);
    if (!match) continue;
    const answer = answerFor(rule, match, code, options);
    if (answer) return answer;
  }
  return NOT_AN_AC_CODE;
}

// ---- which rules can match at all: by the text a match must start with ----

/**
 * A rule can only match a code that starts with its required text: a PREFIX rule's prefix
 * (lower-cased, as it is compared), a REGEX rule's literal prefix (its leading ASCII, lower-cased:
 * a superset, since ASCII lower-cases the same alone as inside a longer text), an EMVCO rule's
 * `000201`. Rules are grouped by the first KEY_LENGTH characters of that text; a rule without one
 * (a regex like `(?i)...` or `[a-z]+`) is a candidate for every code. For a code, the candidates
 * are the groups of its own first 1..KEY_LENGTH characters, in precedence order, so the first
 * candidate that matches is the first rule of the set that matches. Rule sets where every prefix
 * starts with `https://` are why a first character alone is not enough.
 */
const KEY_LENGTH = 32;

interface RuleIndex {
  /** Required-text key -> the precedence positions of its rules. */
  readonly byKey: ReadonlyMap<string, readonly number[]>;
  readonly keyLengths: readonly number[];
  readonly unkeyed: readonly number[];
}

const indexes = new WeakMap<CodeRuleSet, RuleIndex>();

function requiredText(pattern: CodePattern): string {
  switch (pattern.method) {
    case 'PREFIX':
      return pattern.prefixLower;
    case 'REGEX':
      return /^[\x00-\x7f]*/.exec(pattern.regex.literalPrefix)![0].toLowerCase();
    case 'EMVCO':
      return EMV_PREFIX;
  }
}

function indexOf(ruleSet: CodeRuleSet): RuleIndex {
  let index = indexes.get(ruleSet);
  if (index) return index;
  const byKey = new Map<string, number[]>();
  const unkeyed: number[] = [];
  ruleSet.rules.forEach((rule, position) => {
    const key = requiredText(rule.pattern).slice(0, KEY_LENGTH);
    if (!key) return void unkeyed.push(position);
    const group = byKey.get(key);
    if (group) group.push(position);
    else byKey.set(key, [position]);
  });
  const keyLengths = [...new Set([...byKey.keys()].map((k) => k.length))].sort((a, b) => a - b);
  index = { byKey, keyLengths, unkeyed };
  indexes.set(ruleSet, index);
  return index;
}

function candidateRules(ruleSet: CodeRuleSet, lowerCode: string): readonly CompiledRule[] {
  const index = indexOf(ruleSet);
  let positions: number[] = [...index.unkeyed];
  for (const length of index.keyLengths) {
    if (length > lowerCode.length) break;
    const group = index.byKey.get(lowerCode.slice(0, length));
    if (group) positions = positions.concat(group);
  }
  return positions.sort((a, b) => a - b).map((p) => ruleSet.rules[p]!);
}

// ---- the code, with what rules need of it computed once ----

interface MerchantSubTag {
  readonly template: EmvDataObject;
  readonly value: string;
}

interface EmvIndex {
  /** Top-level data objects by tag (first occurrence). */
  readonly byTag: ReadonlyMap<string, EmvDataObject>;
  /** Sub-tag -> its occurrences across merchant account templates 26-51, in payload order. */
  readonly merchantSubTags: ReadonlyMap<string, readonly MerchantSubTag[]>;
}

class CodeUnderTest {
  private lowerCached: string | undefined;
  private emvCached: EmvIndex | null | undefined;

  constructor(readonly value: string) {}

  get lower(): string {
    this.lowerCached ??= this.value.toLowerCase();
    return this.lowerCached;
  }

  /** The EMVCo index, or null when the code is not a well-formed EMVCo QR with a good CRC. */
  get emv(): EmvIndex | null {
    if (this.emvCached === undefined) this.emvCached = indexEmv(this.value);
    return this.emvCached;
  }
}

function indexEmv(code: string): EmvIndex | null {
  if (!looksLikeEmvco(code)) return null;
  const parsed = parseEmvco(code);
  if (parsed.kind !== 'ok') return null; // §6: EMVCO rules apply only to a valid QR, CRC included
  const byTag = new Map<string, EmvDataObject>();
  const merchantSubTags = new Map<string, MerchantSubTag[]>();
  for (const object of parsed.payload.objects) {
    if (!byTag.has(object.tag)) byTag.set(object.tag, object);
    if (!isMerchantAccountTemplateTag(object.tag)) continue;
    for (const sub of object.children ?? []) {
      const list = merchantSubTags.get(sub.tag) ?? [];
      list.push({ template: object, value: sub.value });
      merchantSubTags.set(sub.tag, list);
    }
  }
  return { byTag, merchantSubTags };
}

// ---- codeMatchPattern ----

interface PatternMatch {
  /** EMVCO only: the merchant account template that satisfied the first sub-tag condition. */
  readonly template?: EmvDataObject;
}

const PLAIN_MATCH: PatternMatch = Object.freeze({});

function matchPattern(pattern: CodePattern, code: CodeUnderTest): PatternMatch | undefined {
  switch (pattern.method) {
    case 'PREFIX': // §6: case-insensitive starts-with
      return code.lower.startsWith(pattern.prefixLower) ? PLAIN_MATCH : undefined;
    case 'REGEX': // §6: the whole code must match (linear-time RE2, safe-regex.ts)
      return pattern.regex.matches(code.value) ? PLAIN_MATCH : undefined;
    case 'EMVCO':
      return matchEmv(pattern.conditions, code.emv);
  }
}

/** §6 EMVCO: a valid EMVCo QR on which every emvMatchRules entry holds. */
function matchEmv(conditions: readonly EmvCondition[], emv: EmvIndex | null): PatternMatch | undefined {
  if (!emv) return undefined;
  let template: EmvDataObject | undefined;
  for (const condition of conditions) {
    const held = checkCondition(condition, emv);
    if (held === false) return undefined;
    if (!template && held !== true) template = held;
  }
  return template ? { template } : PLAIN_MATCH;
}

/** false, true, or (for a sub-tag condition that found a value) the template that holds it. */
function checkCondition(condition: EmvCondition, emv: EmvIndex): boolean | EmvDataObject {
  if (condition.kind === 'PRIMITIVE_MERCHANT_TAG') return emv.byTag.has(condition.tag);
  const occurrences = emv.merchantSubTags.get(condition.subTag) ?? [];
  if (condition.value.kind === 'ABSENT') return occurrences.length === 0;
  const hit = occurrences.find((o) => valueMatches(condition.value, o.value));
  return hit ? hit.template : false;
}

/** §6 value patterns. */
function valueMatches(matcher: ValueMatcher, value: string): boolean {
  switch (matcher.kind) {
    case 'PRESENT':
      return true;
    case 'ABSENT':
      return false; // handled by the caller: an absent sub-tag has no value to test
    case 'STARTS_WITH':
      return value.startsWith(matcher.text);
    case 'CONTAINS':
      return value.includes(matcher.text);
    case 'EQUALS':
      return value === matcher.text;
    case 'REGEX':
      return matcher.regex.matches(value);
  }
}

// ---- postCodeMatchAction ----

/** The answer for a matched rule, or undefined when its URL cannot be built (next rule, then). */
function answerFor(rule: CompiledRule, match: PatternMatch, code: CodeUnderTest, options: IdentifyOptions): RuleIdentification | undefined {
  const common = {
    isAcCode: true,
    rule,
    postCodeMatchActionType: rule.action.type,
    ...(rule.acDecodeConfig !== undefined && { acDecodeConfig: rule.acDecodeConfig }),
  };
  if (rule.action.type === 'DECODE') return common;
  const redirectUrl = buildUrl(rule.action.url, match, code, options);
  if (redirectUrl === undefined) return undefined;
  return { ...common, redirectUrl, userAgent: rule.action.userAgent };
}

function buildUrl(source: UrlSource, match: PatternMatch, code: CodeUnderTest, options: IdentifyOptions): string | undefined {
  switch (source.method) {
    case 'USE_DIRECTLY': // §6: opens the code value itself
      return code.value;
    case 'CONSTRUCT_DYNAMIC_URL':
      return fillExpression(source.parts, code.value, options.issuer);
    case 'EXTRACT_URL_FROM_EMVCODE':
      return extractEmvUrl(source.location, match, code.emv);
  }
}

/**
 * §6 CONSTRUCT_DYNAMIC_URL: `${codeValue}` URL-encoded (encodeURIComponent). `${issuer}` is
 * encoded the same way (a no-op for the usual alphanumeric client ids; safe for any other).
 */
function fillExpression(parts: readonly UrlPart[], codeValue: string, issuer: string): string {
  let url = '';
  for (const part of parts) {
    if (part.kind === 'TEXT') url += part.text;
    else url += encodeURIComponent(part.kind === 'CODE_VALUE' ? codeValue : issuer);
  }
  return url;
}

const HTTP_URL = /^https?:\/\/[^\s]+$/i;

/**
 * §6 EXTRACT_URL_FROM_EMVCODE, with the reading of `emvUrlTag` documented on EmvUrlLocation.
 * The value must be an absolute http(s) URL: it comes from the scanned QR, and the app opens it.
 */
function extractEmvUrl(location: EmvUrlLocation, match: PatternMatch, emv: EmvIndex | null): string | undefined {
  if (!emv) return undefined;
  const value = location.scope === 'MATCHED_MERCHANT_TEMPLATE' ? merchantValue(location.subTag, match, emv) : tagValue(location, emv);
  return value !== undefined && HTTP_URL.test(value) ? value : undefined;
}

function merchantValue(subTag: string, match: PatternMatch, emv: EmvIndex): string | undefined {
  if (match.template) return findObject(match.template.children ?? [], subTag)?.value;
  return emv.merchantSubTags.get(subTag)?.[0]?.value;
}

function tagValue(location: Extract<EmvUrlLocation, { scope: 'TAG' }>, emv: EmvIndex): string | undefined {
  const object = emv.byTag.get(location.tag);
  if (!object || location.subTag === undefined) return object?.value;
  return findObject(object.children ?? [], location.subTag)?.value;
}
