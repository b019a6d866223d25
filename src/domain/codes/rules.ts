import { z } from 'zod';
import { javaCaseFold } from './java-text.ts';
import { compileJavaRegex, type JavaRegex } from './java-regex.ts';
import { MAX_CODE_VALUE_LENGTH } from './code-value.ts';

/**
 * Alipay+ code rules (§6): the wire shape `inquiryCodeRules` answers with, read the way Ant's MPP
 * server SDK 1.2.1 reads it (code-identification-sdk.md, "Loading a rule set", facts 1-5).
 *
 * Everything a code is matched against is read once, when a rule set is applied: `extendInfo`
 * and its JSON strings (`matchResult`, `matchPattern`), value patterns, regexes (java-regex.ts:
 * RE2, or a ReDoS-checked backtracking regex), prefixes case-folded, `acDecodeConfig` built, the
 * rules sorted by precedence. Identification then only reads the compiled form.
 *
 * What makes a set invalid as a whole (fact 1): a `matchMethod` other than `PREFIX`, `REGEX`,
 * `EMVCO`. Everything else the SDK tolerates is tolerated: a regex that does not compile, an
 * EMVCO rule without a `matchPattern`, a PREFIX rule without a prefix give rules that never
 * match. A rule that is not even an object with `codeMatchPattern` and `postCodeMatchAction`
 * (our choice: the SDK would fail on it) is rejected alone, with its reason.
 */

// ---- compiled model ----

export type MatchMethod = 'PREFIX' | 'REGEX' | 'EMVCO';
export type PostCodeMatchActionType = 'DECODE' | 'OPEN_URL';

/** Fact 6: "a missing priority counts as 10000". */
export const DEFAULT_PRIORITY = 10000;
/** Fact 14: "`userAgent` from the rule, `AlipayConnect` when empty". */
export const DEFAULT_USER_AGENT = 'AlipayConnect';
/** Fact 12: the SDK version untrusted rules are compared with. */
export const SDK_JAR_VERSION = '1.2.1.20240506';
/** Bounded work: a rule set larger than this is cut (the rest rejected); sandbox sets hold hundreds. */
export const MAX_RULES = 5000;

/** Fact 11 value patterns, compiled. */
export type ValuePattern =
  | { readonly kind: 'NEVER' } // a null pattern, `N<other>`, a regex that does not compile
  | { readonly kind: 'NULL' } // `N<NULL>`: absent or empty
  | { readonly kind: 'NOT_NULL' } // `N<NOT_NULL>`: present and non-empty
  | { readonly kind: 'STARTS_WITH'; readonly text: string }
  | { readonly kind: 'CONTAINS'; readonly text: string }
  | { readonly kind: 'EQUALS'; readonly text: string }
  | { readonly kind: 'REGEX'; readonly regex: JavaRegex };

/** A condition on a field: the tag path (`['62', '05']`) and the pattern its value must meet. */
export interface FieldCondition {
  readonly path: readonly string[];
  readonly value: ValuePattern;
}

/** Fact 5: an EMVCO rule's pattern, from `extendInfo.matchPattern` (or `emvMatchRules`). */
export interface EmvPattern {
  /** `primitiveMai`: the rule asks for primitive merchant account tag `primitiveMaiTag` (02-25). */
  readonly primitiveTag?: string;
  /** `merchantMaiRestrictions`: sub-tag -> pattern, all met by one template 26-51 / 80-99. */
  readonly restrictions: readonly (readonly [subTag: string, value: ValuePattern])[];
  /** Root fields, `additionalDataFieldTemplate` (paths under 62), then `accurateTagRules`, in that order. */
  readonly fieldConditions: readonly FieldCondition[];
}

export type CodePattern =
  | { readonly method: 'PREFIX'; readonly prefix: string; readonly folded: string }
  | { readonly method: 'REGEX'; readonly source: string; readonly regex?: JavaRegex }
  | { readonly method: 'EMVCO'; readonly emv?: EmvPattern };

/** A `dynamicUrlParams` value (fact 14), compiled. */
export type UrlParam =
  | { readonly kind: 'REGEX'; readonly regex?: JavaRegex } // R<regex>: group 1 of the first find
  | { readonly kind: 'EMV'; readonly path: readonly string[] } // E<tag> / E<tag.sub>
  | { readonly kind: 'SUBSTRING'; readonly start: number; readonly end?: number } // L<start> / L<start,end>
  | { readonly kind: 'INVALID' };

/** What a rule's `extendInfo.matchResult` contributes (facts 3, 12, 15). */
export interface MatchResultInfo {
  /** Fact 15: matchResult without `trust` and `nonSdkJarSupportVersion`, as JSON; '' when empty. */
  readonly acDecodeConfig: string;
  readonly dynamicUrlParams: readonly (readonly [key: string, param: UrlParam])[];
  /** Fact 12: applied here, or only through Alipay+ remote identification. */
  readonly local: boolean;
}

export interface RuleAction {
  /** Fact 2: DECODE only when exactly `DECODE`; any other value is OPEN_URL. */
  readonly type: PostCodeMatchActionType;
  /** Fact 14: the rule's userAgent, `AlipayConnect` when empty. */
  readonly userAgent: string;
  readonly urlConstructionMethod?: string;
  readonly dynamicUrlExpression?: string;
  readonly emvUrlTag?: string;
}

export interface CompiledRule {
  /** Position in the wire list: the tie-breaker between equal priorities. */
  readonly index: number;
  readonly priority: number;
  readonly pattern: CodePattern;
  readonly action: RuleAction;
  readonly result: MatchResultInfo;
}

export interface CodeRuleSet {
  readonly version: string;
  /** In precedence order: priority ascending, then wire order (fact 6). */
  readonly rules: readonly CompiledRule[];
}

export interface RejectedRule {
  readonly index: number;
  readonly reason: string;
}

export interface CompiledCodeRules {
  readonly ruleSet: CodeRuleSet;
  readonly rejected: readonly RejectedRule[];
  /** Fact 1: set when the set must not be applied at all (an unknown matchMethod). */
  readonly invalidSet?: string;
}

// ---- wire shape (§6) ----

/** Java-side serialisers write absent fields as null: read null as absent everywhere. */
const optionalString = z.string().nullish();
const PrioritySchema = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  .nullish();

const EmvMatchRuleSchema = z.object({
  primitiveMerchant: z.boolean().nullish(),
  primitiveMerchantTag: optionalString,
  extendedMerchantTag: optionalString,
  extendedMerchantValue: optionalString,
});

const CodeMatchPatternSchema = z.object({
  matchMethod: z.string(),
  priority: PrioritySchema,
  prefix: optionalString,
  regex: optionalString,
  emvMatchRules: z.array(EmvMatchRuleSchema).max(64).nullish(),
});

const PostCodeMatchActionSchema = z.object({
  postCodeMatchActionType: optionalString,
  urlConstructionMethod: optionalString,
  userAgent: optionalString,
  dynamicUrlExpression: optionalString,
  emvUrlTag: optionalString,
});

export const CodeRuleWireSchema = z.object({
  codeMatchPattern: CodeMatchPatternSchema,
  postCodeMatchAction: PostCodeMatchActionSchema,
  /** A JSON string whose `matchResult` and `matchPattern` are JSON strings; objects are tolerated. */
  extendInfo: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
});

export type WireCodeRule = z.input<typeof CodeRuleWireSchema>;
type ParsedWireRule = z.output<typeof CodeRuleWireSchema>;
type ParsedEmvMatchRule = z.output<typeof EmvMatchRuleSchema>;

const CodeRulesAnswerSchema = z.object({
  result: z.object({ resultStatus: z.string(), resultCode: optionalString, resultMessage: optionalString }),
  version: z.union([z.string().min(1), z.number().transform(String)]),
  codeRules: z.array(z.unknown()),
});

// ---- loading ----

export type CodeRulesLoad = ({ readonly ok: true } & CompiledCodeRules) | { readonly ok: false; readonly reason: string };

/**
 * Reads an `inquiryCodeRules` answer (or the preset file, which has the same shape). Fails as a
 * whole when the envelope is unusable (result not S, no version, no rule list), when a rule has
 * an unknown matchMethod (fact 1), or when a non-empty list has no usable rule: the caller then
 * keeps the set it has.
 */
export function parseCodeRulesAnswer(body: unknown): CodeRulesLoad {
  const parsed = CodeRulesAnswerSchema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: `invalid code rules answer: ${describeIssues(parsed.error)}` };
  const { result, version, codeRules } = parsed.data;
  if (result.resultStatus !== 'S') {
    return { ok: false, reason: `code rules answer is ${result.resultStatus} ${result.resultCode ?? ''}`.trim() };
  }
  const compiled = compileCodeRules(version, codeRules);
  if (compiled.invalidSet) return { ok: false, reason: compiled.invalidSet };
  if (codeRules.length > 0 && compiled.ruleSet.rules.length === 0) {
    return { ok: false, reason: `every one of the ${codeRules.length} code rules was rejected` };
  }
  return { ok: true, ...compiled };
}

const MATCH_METHODS: readonly string[] = ['PREFIX', 'REGEX', 'EMVCO'];

/** Compiles each wire rule; an unknown matchMethod marks the whole set invalid (fact 1). */
export function compileCodeRules(version: string, wireRules: readonly unknown[]): CompiledCodeRules {
  const rules: CompiledRule[] = [];
  const rejected: RejectedRule[] = [];
  let invalidSet: string | undefined;
  for (const [index, wire] of wireRules.entries()) {
    if (index >= MAX_RULES) {
      rejected.push({ index, reason: `rule set holds more than ${MAX_RULES} rules` });
      continue;
    }
    const compiled = compileRule(wire, index);
    if (compiled.ok) {
      rules.push(compiled.value);
      continue;
    }
    rejected.push({ index, reason: compiled.reason });
    if (compiled.wholeSet) invalidSet ??= `rule ${index}: ${compiled.reason}: the whole set is invalid`;
  }
  rules.sort((a, b) => a.priority - b.priority || a.index - b.index);
  return { ruleSet: { version, rules }, rejected, ...(invalidSet !== undefined && { invalidSet }) };
}

type Compiled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string; readonly wholeSet?: boolean };

function compileRule(wire: unknown, index: number): Compiled<CompiledRule> {
  const parsed = CodeRuleWireSchema.safeParse(wire);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  const rule: ParsedWireRule = parsed.data;
  const method = rule.codeMatchPattern.matchMethod;
  if (!MATCH_METHODS.includes(method)) return { ok: false, reason: `matchMethod "${method}" is not PREFIX, REGEX or EMVCO`, wholeSet: true };

  const info = readExtendInfo(rule.extendInfo);
  let priority = rule.codeMatchPattern.priority ?? DEFAULT_PRIORITY;
  let pattern: CodePattern;
  if (method === 'PREFIX') pattern = compilePrefix(rule.codeMatchPattern.prefix);
  else if (method === 'REGEX') pattern = compileRegexPattern(rule.codeMatchPattern.regex);
  else {
    // Fact 5: a non-blank extendInfo means matchPattern (and its priority) or nothing.
    const emv = info.blank ? compileEmvMatchRules(rule.codeMatchPattern.emvMatchRules ?? []) : compileMatchPattern(info.matchPattern);
    if (!info.blank) priority = readPriority(info.matchPattern?.['priority']) ?? DEFAULT_PRIORITY;
    pattern = { method: 'EMVCO', ...(emv && { emv }) };
  }
  return {
    ok: true,
    value: { index, priority, pattern, action: compileAction(rule.postCodeMatchAction), result: readMatchResult(info.matchResult) },
  };
}

function compilePrefix(prefix: string | null | undefined): CodePattern {
  const text = (prefix ?? '').slice(0, MAX_CODE_VALUE_LENGTH + 1);
  return { method: 'PREFIX', prefix: text, folded: javaCaseFold(text) };
}

function compileRegexPattern(source: string | null | undefined): CodePattern {
  const compiled = source ? compileJavaRegex(source) : undefined;
  return { method: 'REGEX', source: source ?? '', ...(compiled?.ok && { regex: compiled.regex }) };
}

function readPriority(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

// ---- extendInfo (facts 3, 5, 12, 15) ----

type JsonObject = Readonly<Record<string, unknown>>;

interface ExtendInfo {
  /** Java's isBlank: absent, empty or whitespace. */
  readonly blank: boolean;
  readonly matchResult?: JsonObject;
  readonly matchPattern?: JsonObject;
}

/** extendInfo is a JSON string whose `matchResult` and `matchPattern` are JSON strings. */
export function readExtendInfo(extendInfo: string | JsonObject | null | undefined): ExtendInfo {
  if (extendInfo === undefined || extendInfo === null) return { blank: true };
  if (typeof extendInfo === 'string' && extendInfo.trim() === '') return { blank: true };
  const info = asObject(extendInfo);
  const matchResult = info && asObject(info['matchResult']);
  const matchPattern = info && asObject(info['matchPattern']);
  return { blank: false, ...(matchResult && { matchResult }), ...(matchPattern && { matchPattern }) };
}

/** An object, or a JSON string holding one; anything else is undefined. */
function asObject(value: unknown): JsonObject | undefined {
  if (isPlainObject(value)) return value;
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Facts 3, 12, 15: what `matchResult` gives a rule (or a remote answer's extendInfo). */
export function readMatchResult(matchResult: JsonObject | undefined): MatchResultInfo {
  if (!matchResult) return { acDecodeConfig: '', dynamicUrlParams: [], local: true };
  const { trust, nonSdkJarSupportVersion, ...rest } = matchResult;
  const params = asObject(matchResult['dynamicUrlParams']) ?? {};
  return {
    acDecodeConfig: Object.keys(rest).length === 0 ? '' : JSON.stringify(rest),
    dynamicUrlParams: Object.entries(params).map(([key, value]) => [key, compileUrlParam(value)] as const),
    local: trust !== 'N' || supportedHere(nonSdkJarSupportVersion),
  };
}

/** Fact 12: `nonSdkJarSupportVersion` present and not above ours, segment by segment, same number of segments. */
export function supportedHere(version: unknown): boolean {
  if (typeof version !== 'string' && typeof version !== 'number') return false;
  const theirs = String(version).split('.');
  const ours = SDK_JAR_VERSION.split('.');
  if (theirs.length !== ours.length || !theirs.every((s) => /^\d+$/.test(s))) return false;
  for (let i = 0; i < ours.length; i++) {
    const diff = Number(theirs[i]) - Number(ours[i]);
    if (diff !== 0) return diff < 0;
  }
  return true;
}

/** Fact 14: `R<regex>`, `E<tag>` / `E<tag.sub>`, `L<start>` / `L<start,end>`. */
function compileUrlParam(value: unknown): UrlParam {
  const m = typeof value === 'string' ? /^([REL])<(.*)>$/s.exec(value) : null;
  if (!m) return { kind: 'INVALID' };
  const operand = m[2]!;
  switch (m[1]) {
    case 'R': {
      const compiled = compileJavaRegex(operand);
      return { kind: 'REGEX', ...(compiled.ok && { regex: compiled.regex }) };
    }
    case 'E':
      return operand ? { kind: 'EMV', path: operand.split('.') } : { kind: 'INVALID' };
    default: {
      const range = /^(\d+)(?:,(\d+))?$/.exec(operand);
      if (!range) return { kind: 'INVALID' };
      return { kind: 'SUBSTRING', start: Number(range[1]), ...(range[2] !== undefined && { end: Number(range[2]) }) };
    }
  }
}

// ---- EMVCO patterns (fact 5) ----

/** Root-field condition names of `matchPattern` and their EMVCo tags. */
const ROOT_FIELDS: readonly (readonly [name: string, tag: string])[] = [
  ['payloadFormatIndicator', '00'],
  ['pointOfInitiationMethod', '01'],
  ['merchantCategoryCode', '52'],
  ['transactionCurrency', '53'],
  ['transactionAmount', '54'],
  ['convenienceIndicator', '55'],
  ['valueOfConvenienceFeeFixed', '56'],
  ['valueOfConvenienceFeePercentage', '57'],
  ['countryCode', '58'],
  ['merchantName', '59'],
  ['merchantCity', '60'],
  ['postalCode', '61'],
];

/** `extendInfo.matchPattern`; none: the rule never matches. */
function compileMatchPattern(p: JsonObject | undefined): EmvPattern | undefined {
  if (!p) return undefined;
  const fieldConditions: FieldCondition[] = [];
  for (const [name, tag] of ROOT_FIELDS) {
    if (p[name] !== undefined && p[name] !== null) fieldConditions.push({ path: [tag], value: compileValuePattern(p[name]) });
  }
  for (const [subTag, value] of Object.entries(asObject(p['additionalDataFieldTemplate']) ?? {})) {
    fieldConditions.push({ path: ['62', subTag], value: compileValuePattern(value) });
  }
  fieldConditions.push(...accurateTagRules(p['accurateTagRules']));
  const restrictions = Object.entries(asObject(p['merchantMaiRestrictions']) ?? {}).map(([subTag, value]) => [subTag, compileValuePattern(value)] as const);
  const primitive = p['primitiveMai'] === true || p['primitiveMai'] === 'true';
  const tag = typeof p['primitiveMaiTag'] === 'string' ? p['primitiveMaiTag'] : '';
  return { ...(primitive && { primitiveTag: tag }), restrictions, fieldConditions };
}

/**
 * `accurateTagRules`: conditions on paths `tag`, `tag.sub`, `tag.sub.sub`. Read as a map
 * {path: pattern}, or a list of {tag|path, value|pattern} (our reading: the facts page names
 * the paths, not the container).
 */
function accurateTagRules(raw: unknown): FieldCondition[] {
  const parsed = typeof raw === 'string' ? safeJson(raw) : raw;
  const pairs: [string, unknown][] = Array.isArray(parsed)
    ? parsed.filter(isPlainObject).map((r) => [String(r['tag'] ?? r['path'] ?? ''), r['value'] ?? r['pattern'] ?? null])
    : Object.entries(isPlainObject(parsed) ? parsed : {});
  return pairs.filter(([path]) => path !== '').map(([path, value]) => ({ path: path.split('.'), value: compileValuePattern(value) }));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Blank extendInfo: primitive flag and tag from the first entry, sub-tag -> value from all (fact 5). */
function compileEmvMatchRules(entries: readonly ParsedEmvMatchRule[]): EmvPattern | undefined {
  const first = entries[0];
  if (!first) return undefined;
  const restrictions = new Map<string, ValuePattern>();
  for (const e of entries) {
    if (e.extendedMerchantTag) restrictions.set(e.extendedMerchantTag, compileValuePattern(e.extendedMerchantValue));
  }
  return {
    ...(first.primitiveMerchant === true && { primitiveTag: first.primitiveMerchantTag ?? '' }),
    restrictions: [...restrictions],
    fieldConditions: [],
  };
}

const MARKER = /^([SCRNUscrnu])<(.*)>$/s;

/** Fact 11: `S<x>`, `C<x>`, `R<x>`, `N<NULL>`, `N<NOT_NULL>`; `U<x>` and any other text: equality with the whole text. */
export function compileValuePattern(pattern: unknown): ValuePattern {
  if (typeof pattern !== 'string') return { kind: 'NEVER' };
  const m = MARKER.exec(pattern);
  const operand = m?.[2] ?? '';
  switch (m?.[1]?.toUpperCase()) {
    case 'S':
      return { kind: 'STARTS_WITH', text: operand };
    case 'C':
      return { kind: 'CONTAINS', text: operand };
    case 'R': {
      const compiled = compileJavaRegex(operand);
      return compiled.ok ? { kind: 'REGEX', regex: compiled.regex } : { kind: 'NEVER' };
    }
    case 'N':
      return operand === 'NULL' ? { kind: 'NULL' } : operand === 'NOT_NULL' ? { kind: 'NOT_NULL' } : { kind: 'NEVER' };
    default:
      return { kind: 'EQUALS', text: pattern };
  }
}

// ---- postCodeMatchAction (facts 2, 3) ----

function compileAction(a: ParsedWireRule['postCodeMatchAction']): RuleAction {
  return {
    type: a.postCodeMatchActionType === 'DECODE' ? 'DECODE' : 'OPEN_URL',
    userAgent: a.userAgent || DEFAULT_USER_AGENT,
    ...(a.urlConstructionMethod && { urlConstructionMethod: a.urlConstructionMethod }),
    ...(a.dynamicUrlExpression && { dynamicUrlExpression: a.dynamicUrlExpression }),
    ...(a.emvUrlTag && { emvUrlTag: a.emvUrlTag }),
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
