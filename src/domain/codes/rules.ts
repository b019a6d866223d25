import { z } from 'zod';
import { isPrimitiveMerchantTag, isTemplateTag } from './emvco.ts';
import { compileWholeMatchRegex, type WholeMatchRegex } from './safe-regex.ts';
import { MAX_CODE_VALUE_LENGTH } from './code-value.ts';

/**
 * Alipay+ code rules (§6): the wire shape `inquiryCodeRules` answers with, and its compiled form.
 *
 * Every rule is validated and compiled once, when a rule set is loaded: prefixes lower-cased,
 * regexes compiled for the linear-time engine (safe-regex.ts), value patterns and URL templates
 * pre-parsed, the `acDecodeConfig` string pre-built, and the rules sorted by precedence. A rule
 * that fails is returned in `rejected` with its reason; it never stops the rest of the set from
 * loading.
 */

// ---- compiled model ----

export type MatchMethod = 'PREFIX' | 'REGEX' | 'EMVCO';
export type PostCodeMatchActionType = 'DECODE' | 'OPEN_URL';
export type UrlConstructionMethod = 'USE_DIRECTLY' | 'CONSTRUCT_DYNAMIC_URL' | 'EXTRACT_URL_FROM_EMVCODE';

/** §6: "`priority` absent means 10000". */
export const DEFAULT_PRIORITY = 10000;
/** §6: "userAgent (default "AlipayConnect")". */
export const DEFAULT_USER_AGENT = 'AlipayConnect';
/** Bounded work: a rule set larger than this is cut (the rest rejected); production sets hold hundreds. */
export const MAX_RULES = 5000;
const MAX_EMV_MATCH_RULES = 32;
const MAX_URL_EXPRESSION_LENGTH = 2048;

/** §6 value patterns: `S<x>` starts with, `C<x>` contains, `R<x>` regex, `N<NULL>` absent, else equals. */
export type ValueMatcher =
  | { readonly kind: 'PRESENT' } // no extendedMerchantValue given: the sub-tag only has to exist
  | { readonly kind: 'ABSENT' }
  | { readonly kind: 'STARTS_WITH'; readonly text: string }
  | { readonly kind: 'CONTAINS'; readonly text: string }
  | { readonly kind: 'EQUALS'; readonly text: string }
  | { readonly kind: 'REGEX'; readonly regex: WholeMatchRegex };

export type EmvCondition =
  /** `primitiveMerchant: false`: some template 26-51 has sub-tag `subTag` with a matching value. */
  | { readonly kind: 'MERCHANT_SUB_TAG'; readonly subTag: string; readonly value: ValueMatcher }
  /** `primitiveMerchant: true`: the primitive merchant account tag (02-25) is present. */
  | { readonly kind: 'PRIMITIVE_MERCHANT_TAG'; readonly tag: string };

export type CodePattern =
  | { readonly method: 'PREFIX'; readonly prefix: string; readonly prefixLower: string }
  | { readonly method: 'REGEX'; readonly source: string; readonly regex: WholeMatchRegex }
  | { readonly method: 'EMVCO'; readonly conditions: readonly EmvCondition[] };

/**
 * Where EXTRACT_URL_FROM_EMVCODE finds the URL, read from `matchResult.emvUrlTag`:
 * - `merchantTag.NN`: sub-tag NN of the merchant account template (26-51) that satisfied the
 *   rule's first `primitiveMerchant: false` condition; when the rule has no such condition (or
 *   only `N<NULL>` ones), the first template 26-51 in the payload that has sub-tag NN;
 * - `TT.NN`: sub-tag NN of top-level template TT (e.g. `62.05`);
 * - `TT`: the value of top-level tag TT.
 */
export type EmvUrlLocation =
  | { readonly scope: 'MATCHED_MERCHANT_TEMPLATE'; readonly subTag: string }
  | { readonly scope: 'TAG'; readonly tag: string; readonly subTag?: string };

export type UrlPart = { readonly kind: 'TEXT'; readonly text: string } | { readonly kind: 'CODE_VALUE' } | { readonly kind: 'ISSUER' };

export type UrlSource =
  | { readonly method: 'USE_DIRECTLY' }
  | { readonly method: 'CONSTRUCT_DYNAMIC_URL'; readonly expression: string; readonly parts: readonly UrlPart[] }
  | { readonly method: 'EXTRACT_URL_FROM_EMVCODE'; readonly emvUrlTag: string; readonly location: EmvUrlLocation };

export type RuleAction = { readonly type: 'DECODE' } | { readonly type: 'OPEN_URL'; readonly userAgent: string; readonly url: UrlSource };

export interface CompiledRule {
  /** Position in the wire list: the tie-breaker between equal priorities. */
  readonly index: number;
  readonly priority: number;
  readonly pattern: CodePattern;
  readonly action: RuleAction;
  /** extendInfo.matchResult as parsed (all keys). */
  readonly matchResult?: Readonly<Record<string, unknown>>;
  /** §6: matchResult as a JSON string without `trust` and `nonSdkJarSupportVersion`. */
  readonly acDecodeConfig?: string;
  /** matchResult.trust; `N` rules are applied like the others (§6, our choice). */
  readonly trust?: string;
}

export interface CodeRuleSet {
  readonly version: string;
  /** In precedence order: priority ascending, then wire order (§6 "on a tie the earlier rule"). */
  readonly rules: readonly CompiledRule[];
}

export interface RejectedRule {
  readonly index: number;
  readonly reason: string;
}

export interface CompiledCodeRules {
  readonly ruleSet: CodeRuleSet;
  readonly rejected: readonly RejectedRule[];
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
  matchMethod: z.enum(['PREFIX', 'REGEX', 'EMVCO']),
  priority: PrioritySchema,
  prefix: optionalString,
  regex: optionalString,
  emvMatchRules: z.array(EmvMatchRuleSchema).max(MAX_EMV_MATCH_RULES).nullish(),
});

const PostCodeMatchActionSchema = z.object({
  postCodeMatchActionType: z.enum(['DECODE', 'OPEN_URL']),
  urlConstructionMethod: z.enum(['USE_DIRECTLY', 'CONSTRUCT_DYNAMIC_URL', 'EXTRACT_URL_FROM_EMVCODE']).nullish(),
  userAgent: optionalString,
  dynamicUrlExpression: optionalString,
});

export const CodeRuleWireSchema = z.object({
  codeMatchPattern: CodeMatchPatternSchema,
  postCodeMatchAction: PostCodeMatchActionSchema,
  /** A JSON string whose `matchResult` is itself a JSON string; an object is tolerated too. */
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
 * whole only when the envelope is unusable: result not S, no version, no rule list, or a
 * non-empty list of which no rule compiles (so that the caller keeps the set it has).
 */
export function parseCodeRulesAnswer(body: unknown): CodeRulesLoad {
  const parsed = CodeRulesAnswerSchema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: `invalid code rules answer: ${describeIssues(parsed.error)}` };
  const { result, version, codeRules } = parsed.data;
  if (result.resultStatus !== 'S') {
    return { ok: false, reason: `code rules answer is ${result.resultStatus} ${result.resultCode ?? ''}`.trim() };
  }
  const compiled = compileCodeRules(version, codeRules);
  if (codeRules.length > 0 && compiled.ruleSet.rules.length === 0) {
    return { ok: false, reason: `every one of the ${codeRules.length} code rules was rejected` };
  }
  return { ok: true, ...compiled };
}

/** Compiles each wire rule on its own; bad ones go to `rejected` with the reason. */
export function compileCodeRules(version: string, wireRules: readonly unknown[]): CompiledCodeRules {
  const rules: CompiledRule[] = [];
  const rejected: RejectedRule[] = [];
  for (const [index, wire] of wireRules.entries()) {
    if (index >= MAX_RULES) {
      rejected.push({ index, reason: `rule set holds more than ${MAX_RULES} rules` });
      continue;
    }
    const compiled = compileRule(wire, index);
    if (compiled.ok) rules.push(compiled.value);
    else rejected.push({ index, reason: compiled.reason });
  }
  rules.sort((a, b) => a.priority - b.priority || a.index - b.index);
  return { ruleSet: { version, rules }, rejected };
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(reason: string): Checked<T> => ({ ok: false, reason });

export function compileRule(wire: unknown, index: number): Checked<CompiledRule> {
  const parsed = CodeRuleWireSchema.safeParse(wire);
  if (!parsed.success) return fail(describeIssues(parsed.error));
  const rule: ParsedWireRule = parsed.data;

  const pattern = compilePattern(rule.codeMatchPattern);
  if (!pattern.ok) return pattern;
  const matchResult = readMatchResult(rule.extendInfo);
  if (!matchResult.ok) return matchResult;
  const action = compileAction(rule.postCodeMatchAction, matchResult.value);
  if (!action.ok) return action;

  const trust = matchResult.value?.['trust'];
  return ok({
    index,
    priority: rule.codeMatchPattern.priority ?? DEFAULT_PRIORITY,
    pattern: pattern.value,
    action: action.value,
    ...(matchResult.value && {
      matchResult: matchResult.value,
      acDecodeConfig: toAcDecodeConfig(matchResult.value),
    }),
    ...(typeof trust === 'string' && { trust }),
  });
}

// ---- codeMatchPattern ----

function compilePattern(p: ParsedWireRule['codeMatchPattern']): Checked<CodePattern> {
  switch (p.matchMethod) {
    case 'PREFIX':
      return compilePrefix(p.prefix);
    case 'REGEX':
      return compileRegexPattern(p.regex);
    case 'EMVCO':
      return compileEmvPattern(p.emvMatchRules ?? []);
  }
}

/** §6 PREFIX: case-insensitive starts-with; compared on lower-cased strings. */
function compilePrefix(prefix: string | null | undefined): Checked<CodePattern> {
  if (!prefix) return fail('PREFIX rule without a prefix');
  if (prefix.length > MAX_CODE_VALUE_LENGTH) return fail('prefix longer than any code value');
  return ok({ method: 'PREFIX', prefix, prefixLower: prefix.toLowerCase() });
}

/** §6 REGEX: the whole code must match; the regex runs on RE2 (linear time, safe-regex.ts). */
function compileRegexPattern(source: string | null | undefined): Checked<CodePattern> {
  if (!source) return fail('REGEX rule without a regex');
  const compiled = compileWholeMatchRegex(source);
  if (!compiled.ok) return fail(compiled.reason);
  return ok({ method: 'REGEX', source, regex: compiled.regex });
}

/** §6 EMVCO: every entry of emvMatchRules must hold; an empty list would match any EMVCo QR. */
function compileEmvPattern(entries: readonly ParsedEmvMatchRule[]): Checked<CodePattern> {
  if (entries.length === 0) return fail('EMVCO rule without emvMatchRules');
  const conditions: EmvCondition[] = [];
  for (const entry of entries) {
    const condition = compileEmvCondition(entry);
    if (!condition.ok) return condition;
    conditions.push(condition.value);
  }
  return ok({ method: 'EMVCO', conditions });
}

function compileEmvCondition(entry: ParsedEmvMatchRule): Checked<EmvCondition> {
  if (entry.primitiveMerchant === true) {
    const tag = entry.primitiveMerchantTag ?? '';
    if (!/^\d{2}$/.test(tag) || !isPrimitiveMerchantTag(tag)) return fail(`primitiveMerchantTag "${tag}" is not 02-25`);
    return ok({ kind: 'PRIMITIVE_MERCHANT_TAG', tag });
  }
  const subTag = entry.extendedMerchantTag ?? '';
  if (!/^\d{2}$/.test(subTag)) return fail(`extendedMerchantTag "${subTag}" is not two digits`);
  const value = compileValuePattern(entry.extendedMerchantValue);
  if (!value.ok) return value;
  return ok({ kind: 'MERCHANT_SUB_TAG', subTag, value: value.value });
}

/**
 * §6 value patterns. The marker is the first character, upper case only; anything else is an
 * exact, case-sensitive comparison (`com.alipayplus` is an equality). `N<NULL>` is read as
 * written in the contract; `NNULL` (the same marker with the angle brackets of the notation
 * dropped) is read as absent too. `R<x>` must match the whole value, like a REGEX rule.
 */
export function compileValuePattern(pattern: string | null | undefined): Checked<ValueMatcher> {
  if (pattern === undefined || pattern === null) return ok({ kind: 'PRESENT' });
  if (pattern === 'N<NULL>' || pattern === 'NNULL') return ok({ kind: 'ABSENT' });
  const text = pattern.slice(1);
  switch (pattern[0]) {
    case 'S':
      return ok({ kind: 'STARTS_WITH', text });
    case 'C':
      return ok({ kind: 'CONTAINS', text });
    case 'R': {
      const compiled = compileWholeMatchRegex(text);
      return compiled.ok ? ok({ kind: 'REGEX', regex: compiled.regex }) : fail(`value pattern: ${compiled.reason}`);
    }
    default:
      return ok({ kind: 'EQUALS', text: pattern });
  }
}

// ---- extendInfo ----

/** extendInfo is a JSON string whose `matchResult` is itself a JSON string (§6). */
function readMatchResult(extendInfo: ParsedWireRule['extendInfo']): Checked<Readonly<Record<string, unknown>> | undefined> {
  if (extendInfo === undefined || extendInfo === null || extendInfo === '') return ok(undefined);
  const info = typeof extendInfo === 'string' ? parseJsonObject(extendInfo) : extendInfo;
  if (!info) return fail('extendInfo is not a JSON object');
  const raw = info['matchResult'];
  if (raw === undefined || raw === null || raw === '') return ok(undefined);
  const matchResult = typeof raw === 'string' ? parseJsonObject(raw) : isPlainObject(raw) ? raw : undefined;
  if (!matchResult) return fail('extendInfo.matchResult is not a JSON object');
  return ok(matchResult);
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** §6: acDecodeConfig is matchResult as JSON without its `trust` and `nonSdkJarSupportVersion`. */
function toAcDecodeConfig(matchResult: Readonly<Record<string, unknown>>): string {
  const { trust: _trust, nonSdkJarSupportVersion: _version, ...rest } = matchResult;
  return JSON.stringify(rest);
}

// ---- postCodeMatchAction ----

function compileAction(a: ParsedWireRule['postCodeMatchAction'], matchResult: Readonly<Record<string, unknown>> | undefined): Checked<RuleAction> {
  if (a.postCodeMatchActionType === 'DECODE') return ok({ type: 'DECODE' });
  // OPEN_URL without a construction method opens the code value itself (our choice).
  const method = a.urlConstructionMethod ?? 'USE_DIRECTLY';
  const url = compileUrlSource(method, a.dynamicUrlExpression, matchResult);
  if (!url.ok) return url;
  return ok({ type: 'OPEN_URL', userAgent: a.userAgent || DEFAULT_USER_AGENT, url: url.value });
}

function compileUrlSource(
  method: UrlConstructionMethod,
  expression: string | null | undefined,
  matchResult: Readonly<Record<string, unknown>> | undefined,
): Checked<UrlSource> {
  switch (method) {
    case 'USE_DIRECTLY':
      return ok({ method });
    case 'CONSTRUCT_DYNAMIC_URL':
      if (!expression) return fail('CONSTRUCT_DYNAMIC_URL without dynamicUrlExpression');
      if (expression.length > MAX_URL_EXPRESSION_LENGTH) return fail('dynamicUrlExpression too long');
      return ok({ method, expression, parts: parseUrlExpression(expression) });
    case 'EXTRACT_URL_FROM_EMVCODE': {
      const emvUrlTag = matchResult?.['emvUrlTag'];
      if (typeof emvUrlTag !== 'string') return fail('EXTRACT_URL_FROM_EMVCODE without matchResult.emvUrlTag');
      const location = parseEmvUrlTag(emvUrlTag);
      if (!location) return fail(`emvUrlTag "${emvUrlTag}" is not merchantTag.NN, TT.NN or TT`);
      return ok({ method, emvUrlTag, location });
    }
  }
}

const PLACEHOLDER = /\$\{(codeValue|issuer)\}/g;

/** Splits `https://x/?c=${codeValue}&i=${issuer}` into text and placeholder parts, once. */
export function parseUrlExpression(expression: string): UrlPart[] {
  const parts: UrlPart[] = [];
  let last = 0;
  for (const m of expression.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push({ kind: 'TEXT', text: expression.slice(last, m.index) });
    parts.push(m[1] === 'codeValue' ? { kind: 'CODE_VALUE' } : { kind: 'ISSUER' });
    last = m.index + m[0].length;
  }
  if (last < expression.length) parts.push({ kind: 'TEXT', text: expression.slice(last) });
  return parts;
}

/** See EmvUrlLocation for the three accepted forms. */
export function parseEmvUrlTag(text: string): EmvUrlLocation | undefined {
  const merchant = /^merchantTag\.(\d{2})$/i.exec(text);
  if (merchant?.[1]) return { scope: 'MATCHED_MERCHANT_TEMPLATE', subTag: merchant[1] };
  const nested = /^(\d{2})\.(\d{2})$/.exec(text);
  if (nested?.[1] && nested[2] && isTemplateTag(nested[1])) return { scope: 'TAG', tag: nested[1], subTag: nested[2] };
  const top = /^(\d{2})$/.exec(text);
  if (top?.[1]) return { scope: 'TAG', tag: top[1] };
  return undefined;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
