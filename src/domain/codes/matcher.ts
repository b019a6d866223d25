import { codeValueProblem } from './code-value.ts';
import { EMV_START, isPrimitiveMerchantTag, MERCHANT_TEMPLATE_TAGS, readEmvCode, readTlv, type TlvFields } from './emvco.ts';
import { javaCaseFold, javaUrlEncode } from './java-text.ts';
import type { RemoteAnswer } from './ports.ts';
import { groupsStarting, KEY_LENGTH, type StartIndex, startIndex } from './start-index.ts';
import {
  DEFAULT_USER_AGENT,
  readExtendInfo,
  readMatchResult,
  type CodePattern,
  type CodeRuleSet,
  type CompiledRule,
  type EmvPattern,
  type FieldCondition,
  type MatchResultInfo,
  type PostCodeMatchActionType,
  type RuleAction,
  type UrlParam,
  type ValuePattern,
} from './rules.ts';

/**
 * Alipay+ identification as Ant's SDK does it (code-identification-sdk.md, "Matching" and
 * "The answer", facts 6-16), local and synchronous up to the one step that is not: a winning rule
 * that only Alipay+ may apply (fact 12) is handed back as `REMOTE` for the caller to ask Alipay+.
 *
 * The winner is the matching rule with the lowest priority, the earlier on a tie (fact 6); the
 * rule set is already in that order, so the first match wins. Whatever happens after (a URL
 * that cannot be built, a remote call that fails) the answer is that rule's: there is no fallback
 * to the next matching rule.
 *
 * Work per call: only the rules whose required start (a prefix, a regex's literal prefix, the
 * EMVCo `0002`) fits the code are tried, and of the EMVCO rules that name the value a merchant
 * account must hold, only those whose value one of the code's accounts holds (the rule index); the
 * code is case-folded at most once and read as EMVCo at most once, lazily; templates are read on
 * demand, once each.
 */

export interface IdentifyOptions {
  /** Our client id, filled into `${issuer}` of CONSTRUCT_DYNAMIC_URL expressions. */
  readonly issuer: string;
}

export interface RuleIdentification {
  readonly isAcCode: boolean;
  readonly postCodeMatchActionType?: PostCodeMatchActionType;
  readonly acDecodeConfig?: string;
  readonly redirectUrl?: string;
  /** For OPEN_URL only: the user agent the app's webview should present. */
  readonly userAgent?: string;
}

/** The winning rule is untrusted (fact 12): only Alipay+ remote identification may answer. */
export interface RemoteIdentificationNeeded {
  readonly isAcCode?: undefined;
  readonly remote: { readonly rule: CompiledRule; readonly code: CodeUnderTest; readonly match: PatternMatch };
}

const NOT_AN_AC_CODE: RuleIdentification = Object.freeze({ isAcCode: false });

/**
 * `scan`: 'indexed' (the default) tries only the rules whose required start fits the code;
 * 'all' tries every rule, the plain reading of fact 6, which tests compare it with.
 */
export function identifyWithRules(
  ruleSet: CodeRuleSet,
  codeValue: string,
  options: IdentifyOptions,
  scan: 'indexed' | 'all' = 'indexed',
): RuleIdentification | RemoteIdentificationNeeded {
  if (codeValueProblem(codeValue)) return NOT_AN_AC_CODE;
  try {
    return firstMatchingRule(ruleSet, codeValue, options, scan);
  } catch {
    return NOT_AN_AC_CODE; // fact 16: any error while identifying means not supported
  }
}

function firstMatchingRule(ruleSet: CodeRuleSet, codeValue: string, options: IdentifyOptions, scan: 'indexed' | 'all'): RuleIdentification | RemoteIdentificationNeeded {
  const index = indexOf(ruleSet);
  const code = new CodeUnderTest(codeValue, index.foldLength);
  const rules = scan === 'all' ? ruleSet.rules : candidateRules(ruleSet, index, code);
  for (const rule of rules) {
    const match = matchPattern(rule.pattern, code);
    if (!match) continue;
    if (!rule.result.local) return { remote: { rule, code, match } };
    return answerFor(rule.action, rule.result, match, code, options);
  }
  return NOT_AN_AC_CODE;
}

/**
 * Fact 12: the remote answer's action type, redirectUrl, userAgent and extendInfo replace the
 * rule's, and the answer is built from them as for a local rule. No answer (a failed call) or
 * `isSupported` false: not an Alipay+ code.
 */
export function answerFromRemote(pending: RemoteIdentificationNeeded, remote: RemoteAnswer | undefined, options: IdentifyOptions): RuleIdentification {
  if (!remote?.isSupported) return NOT_AN_AC_CODE;
  const { rule, code, match } = pending.remote;
  const action: RuleAction = {
    ...rule.action,
    type: remote.postCodeMatchActionType === 'DECODE' ? 'DECODE' : 'OPEN_URL',
    userAgent: remote.userAgent || DEFAULT_USER_AGENT,
  };
  try {
    const result = readMatchResult(readExtendInfo(remote.extendInfo).matchResult);
    return answerFor(action, result, match, code, options, remote.redirectUrl);
  } catch {
    return NOT_AN_AC_CODE; // fact 16
  }
}

// ---- which rules can match at all: by the text a match must start with ----

/**
 * A rule can only match a code that starts with its required text: a PREFIX rule's prefix, a
 * REGEX rule's literal prefix, an EMVCO rule's `0002`, all case-folded (a superset for the
 * case-sensitive two, since folding works char by char). Rules are filed by that text
 * (start-index.ts); a rule without one (`(?i)...`, `[a-z]+`) is a candidate for every code; a
 * rule that can never match (empty prefix, regex that did not compile, EMVCO without a pattern)
 * is in no group. For a code, the candidates are the groups of its own first 1..KEY_LENGTH folded
 * chars, in precedence order.
 *
 * An EMVCO rule whose template restriction (merchantMaiRestrictions) asks a sub-tag to EQUAL a
 * value is filed by that sub-tag and value instead (byAccount): it can only match a code with a
 * merchant account template that holds that value (fact 10: a template must meet every
 * restriction by itself), so an EMVCo code looks up its own templates' values, and the rules of
 * other networks are never tried. A real rule set is mostly such rules, one or more per network
 * (`00` is the account's globally unique identifier: `com.alipayplus`, an AID), and an EMVCo code
 * is the common case abroad: before, every EMVCO rule was tried on every EMVCo code. A rule that
 * names a primitive tag ignores its restrictions (matchEmv), so it stays under `0002`.
 */
interface RuleIndex extends StartIndex<number> {
  /** How many chars of a code must be folded: the longest key or prefix. */
  readonly foldLength: number;
  /** EMVCO rules by the sub-tag and the value a merchant account must hold (emvAccountKey). */
  readonly byAccount: ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>;
}

const indexes = new WeakMap<CodeRuleSet, RuleIndex>();

/** The folded required start, '' for none, undefined for a rule that never matches. */
function requiredStart(pattern: CodePattern): string | undefined {
  switch (pattern.method) {
    case 'PREFIX':
      return pattern.folded || undefined;
    case 'REGEX':
      return pattern.regex ? javaCaseFold(pattern.regex.literalPrefix) : undefined;
    case 'EMVCO':
      return pattern.emv ? EMV_START : undefined;
  }
}

/** The sub-tag and value an EMVCO rule's template restriction asks a merchant account to hold exactly, if any. */
function emvAccountKey(pattern: CodePattern): readonly [subTag: string, value: string] | undefined {
  if (pattern.method !== 'EMVCO' || !pattern.emv || pattern.emv.primitiveTag !== undefined) return undefined;
  for (const [subTag, value] of pattern.emv.restrictions) if (value.kind === 'EQUALS') return [subTag, value.text];
  return undefined;
}

function indexOf(ruleSet: CodeRuleSet): RuleIndex {
  let index = indexes.get(ruleSet);
  if (index) return index;
  const starts: (readonly [string, number])[] = [];
  const byAccount = new Map<string, Map<string, number[]>>();
  let foldLength = KEY_LENGTH;
  ruleSet.rules.forEach((rule, position) => {
    const account = emvAccountKey(rule.pattern);
    if (account) {
      const [subTag, value] = account;
      let byValue = byAccount.get(subTag);
      if (!byValue) byAccount.set(subTag, (byValue = new Map()));
      const group = byValue.get(value);
      if (group) group.push(position);
      else byValue.set(value, [position]);
      return;
    }
    const start = requiredStart(rule.pattern);
    if (start === undefined) return;
    if (rule.pattern.method === 'PREFIX') foldLength = Math.max(foldLength, start.length);
    starts.push([start, position]);
  });
  index = { ...startIndex(starts), foldLength, byAccount };
  indexes.set(ruleSet, index);
  return index;
}

function candidateRules(ruleSet: CodeRuleSet, index: RuleIndex, code: CodeUnderTest): readonly CompiledRule[] {
  const groups = groupsStarting(index, code.folded);
  if (index.byAccount.size > 0) groups.push(...accountGroups(index, code));
  const positions = index.unkeyed.concat(...groups);
  return positions.sort((a, b) => a - b).map((p) => ruleSet.rules[p]!);
}

/**
 * The byAccount groups the code's merchant account templates hold the values of, each once (two
 * templates may hold one value). A code that is not EMVCo has no templates (CodeUnderTest.emv).
 */
function accountGroups(index: RuleIndex, code: CodeUnderTest): Set<readonly number[]> {
  const groups = new Set<readonly number[]>();
  for (const template of code.merchantTemplates) {
    for (const [subTag, byValue] of index.byAccount) {
      const value = template.get(subTag);
      const group = value === undefined ? undefined : byValue.get(value);
      if (group) groups.add(group);
    }
  }
  return groups;
}

// ---- the code, with what rules need of it computed once ----

class CodeUnderTest {
  private foldedCached: string | undefined;
  private emvCached: TlvFields | null | undefined;
  private readonly templates = new Map<string, TlvFields | null>();
  private merchantCached: TlvFields[] | undefined;

  constructor(
    readonly value: string,
    private readonly foldLength: number,
  ) {}

  /** The first foldLength chars, case-folded as Java's regionMatches compares them (fact 7). */
  get folded(): string {
    this.foldedCached ??= javaCaseFold(this.value, this.foldLength);
    return this.foldedCached;
  }

  /** The top-level fields, or null when the code is not a valid EMVCo code (fact 9). */
  get emv(): TlvFields | null {
    if (this.emvCached === undefined) this.emvCached = readEmvCode(this.value) ?? null;
    return this.emvCached;
  }

  /** The readable merchant templates present, in the order the SDK scans them (fact 10), read once. */
  get merchantTemplates(): readonly TlvFields[] {
    if (this.merchantCached === undefined) {
      const fields = this.emv;
      this.merchantCached = [];
      if (fields) {
        for (const tag of MERCHANT_TEMPLATE_TAGS) {
          const t = fields.has(tag) ? this.template(tag) : null;
          if (t) this.merchantCached.push(t);
        }
      }
    }
    return this.merchantCached;
  }

  /** A top-level value read as TLV, or null when absent or unreadable (fact 10). */
  template(tag: string): TlvFields | null {
    let fields = this.templates.get(tag);
    if (fields === undefined) {
      const value = this.emv?.get(tag);
      fields = value === undefined ? null : (readTlv(value) ?? null);
      this.templates.set(tag, fields);
    }
    return fields;
  }
}
export type { CodeUnderTest };

// ---- codeMatchPattern (facts 7-11) ----

interface PatternMatch {
  /** EMVCO with restrictions: the first merchant template that met them all. */
  readonly template?: TlvFields;
}

const PLAIN_MATCH: PatternMatch = Object.freeze({});

function matchPattern(pattern: CodePattern, code: CodeUnderTest): PatternMatch | undefined {
  switch (pattern.method) {
    case 'PREFIX': // fact 7: regionMatches(ignoreCase); an empty prefix matches nothing
      return pattern.folded !== '' && code.value.length >= pattern.prefix.length && code.folded.startsWith(pattern.folded) ? PLAIN_MATCH : undefined;
    case 'REGEX': // fact 8: the whole code, Java dialect
      return pattern.regex?.matches(code.value) ? PLAIN_MATCH : undefined;
    case 'EMVCO':
      return pattern.emv ? matchEmv(pattern.emv, code) : undefined;
  }
}

/** Facts 9, 10: a valid EMVCo code; the merchant account; root fields; accurateTagRules. */
function matchEmv(p: EmvPattern, code: CodeUnderTest): PatternMatch | undefined {
  const fields = code.emv;
  if (!fields) return undefined;
  let template: TlvFields | undefined;
  if (p.primitiveTag !== undefined) {
    if (!isPrimitiveMerchantTag(p.primitiveTag) || !fields.has(p.primitiveTag)) return undefined;
  } else if (p.restrictions.length > 0) {
    template = firstTemplateMeeting(p.restrictions, code.merchantTemplates);
    if (!template) return undefined;
  }
  for (const c of p.fieldConditions) if (!fieldMeets(c, code, fields)) return undefined;
  return template ? { template } : PLAIN_MATCH;
}

/** The first template that meets every restriction by itself (plain loops: this runs per EMVCO rule). */
function firstTemplateMeeting(restrictions: EmvPattern['restrictions'], templates: readonly TlvFields[]): TlvFields | undefined {
  outer: for (const t of templates) {
    for (const [subTag, value] of restrictions) if (!valueMeets(value, t.get(subTag))) continue outer;
    return t;
  }
  return undefined;
}

/** A condition on `tag`, `tag.sub` or `tag.sub.sub`: a missing or unreadable container does not match. */
function fieldMeets(condition: FieldCondition, code: CodeUnderTest, fields: TlvFields): boolean {
  const value = fieldValue(condition.path, code, fields);
  return value !== null && valueMeets(condition.value, value);
}

/** The value at a path; undefined when the leaf is absent, null when a container is. */
function fieldValue(path: readonly string[], code: CodeUnderTest, fields: TlvFields): string | undefined | null {
  const [tag, ...rest] = path;
  if (tag === undefined) return null;
  if (rest.length === 0) return fields.get(tag);
  let container = code.template(tag);
  for (let i = 0; i < rest.length - 1; i++) {
    const inner = container?.get(rest[i]!);
    container = inner === undefined ? null : (readTlv(inner) ?? null);
  }
  return container ? container.get(rest[rest.length - 1]!) : null;
}

/** Fact 11. */
function valueMeets(p: ValuePattern, value: string | undefined): boolean {
  switch (p.kind) {
    case 'NULL':
      return value === undefined || value === '';
    case 'NOT_NULL':
      return value !== undefined && value !== '';
    case 'NEVER':
      return false;
    default:
      if (value === undefined) return false;
  }
  switch (p.kind) {
    case 'STARTS_WITH':
      return value.startsWith(p.text);
    case 'CONTAINS':
      return value.includes(p.text);
    case 'EQUALS':
      return value === p.text;
    case 'REGEX':
      return p.regex.matches(value);
  }
}

// ---- the answer (facts 13-16) ----

function answerFor(
  action: RuleAction,
  result: MatchResultInfo,
  match: PatternMatch,
  code: CodeUnderTest,
  options: IdentifyOptions,
  remoteUrl?: string,
): RuleIdentification {
  const common = { isAcCode: true, postCodeMatchActionType: action.type, acDecodeConfig: result.acDecodeConfig };
  if (action.type === 'DECODE') return common;
  const url = redirectUrl(action, result, match, code, options, remoteUrl);
  if (url === NOT_SUPPORTED) return NOT_AN_AC_CODE;
  return { ...common, ...(url !== undefined && { redirectUrl: url }), userAgent: action.userAgent };
}

const NOT_SUPPORTED = Symbol('not supported');

/** Fact 14: the URL, undefined for none, NOT_SUPPORTED when the answer is "not an Alipay+ code". */
function redirectUrl(
  action: RuleAction,
  result: MatchResultInfo,
  match: PatternMatch,
  code: CodeUnderTest,
  options: IdentifyOptions,
  remoteUrl: string | undefined,
): string | undefined | typeof NOT_SUPPORTED {
  switch (action.urlConstructionMethod) {
    case 'USE_DIRECTLY':
      return remoteUrl ?? code.value;
    case 'CONSTRUCT_DYNAMIC_URL':
      return dynamicUrl(action.dynamicUrlExpression, result, code, options.issuer);
    case 'EXTRACT_URL_FROM_EMVCODE':
      return emvUrl(action.emvUrlTag, match);
    default:
      return NOT_SUPPORTED;
  }
}

/** Fact 14 CONSTRUCT_DYNAMIC_URL: `${codeValue}`, `${issuer}`, then each dynamicUrlParams key. */
function dynamicUrl(expression: string | undefined, result: MatchResultInfo, code: CodeUnderTest, issuer: string): string | typeof NOT_SUPPORTED {
  if (expression === undefined) return NOT_SUPPORTED;
  let url = replaceAll(replaceAll(expression, '${codeValue}', javaUrlEncode(code.value)), '${issuer}', issuer);
  for (const [key, param] of result.dynamicUrlParams) {
    const value = paramValue(param, code);
    if (!value) return NOT_SUPPORTED;
    url = replaceAll(url, `\${${key}}`, javaUrlEncode(value));
  }
  return url;
}

/** Java's String.replace(target, replacement): every occurrence, the replacement taken literally. */
function replaceAll(text: string, target: string, replacement: string): string {
  return text.split(target).join(replacement);
}

/** A dynamicUrlParams value for this code; undefined for any error (fact 14). */
function paramValue(param: UrlParam, code: CodeUnderTest): string | undefined {
  switch (param.kind) {
    case 'REGEX':
      return param.regex?.firstGroupOfFind(code.value);
    case 'EMV': {
      const fields = code.emv;
      if (!fields || param.path.length > 2) return undefined;
      const [tag, sub] = param.path;
      if (sub === undefined) return fields.get(tag!);
      return code.template(tag!)?.get(sub);
    }
    case 'SUBSTRING': {
      // Java's substring throws outside 0 <= start <= end <= length.
      const end = param.end ?? code.value.length;
      if (param.start > end || end > code.value.length) return undefined;
      return code.value.slice(param.start, end);
    }
    case 'INVALID':
      return undefined;
  }
}

/**
 * Fact 14 EXTRACT_URL_FROM_EMVCODE: `merchantTag.NN` is sub-tag NN of the template that met the
 * restrictions, from its first `http` (any case) on. Another main tag: supported, no URL.
 */
function emvUrl(emvUrlTag: string | undefined, match: PatternMatch): string | undefined | typeof NOT_SUPPORTED {
  const dot = emvUrlTag?.indexOf('.') ?? -1;
  if (emvUrlTag === undefined || dot < 0) return NOT_SUPPORTED;
  if (emvUrlTag.slice(0, dot) !== 'merchantTag') return undefined;
  const value = match.template?.get(emvUrlTag.slice(dot + 1));
  const at = value?.toLowerCase().indexOf('http') ?? -1;
  return value !== undefined && at >= 0 ? value.slice(at) : NOT_SUPPORTED;
}
