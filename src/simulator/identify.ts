/**
 * Alipay+ remote identification as the simulator answers it (code-identification-sdk.md fact 12):
 * `GET /api/open/common_form_data/extensions/identify/code.htm?clientId&codeValue&jarVersion`,
 * unsigned. Alipay+ holds the rules' truth, so the simulator applies its own rule set with every
 * rule trusted: the winning rule answers `isSupported` true with its action type, user agent and
 * matchResult (as extendInfo), and for OPEN_URL the code itself as `redirectUrl`; no rule: false.
 */
import { identifyWithRules } from '../domain/codes/matcher.ts';
import { compileCodeRules, type CodeRuleSet } from '../domain/codes/rules.ts';

export { REMOTE_IDENTIFY_PATH } from '../config.ts';

const compiled = new WeakMap<readonly unknown[], CodeRuleSet>();

/** Every rule with `trust` dropped from its matchResult: Alipay+ applies them all. */
function trustedRuleSet(version: string, codeRules: readonly unknown[]): CodeRuleSet {
  let set = compiled.get(codeRules);
  if (!set) {
    set = compileCodeRules(version, codeRules).ruleSet;
    set = { version, rules: set.rules.map((r) => ({ ...r, result: { ...r.result, local: true } })) };
    compiled.set(codeRules, set);
  }
  return set;
}

export function remoteIdentifyAnswer(rules: { version: string; codeRules: readonly unknown[] }, clientId: string, codeValue: string): object {
  const ok = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
  if (!codeValue.trim()) return { result: { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F', resultMessage: 'codeValue is blank' } };
  const verdict = identifyWithRules(trustedRuleSet(rules.version, rules.codeRules), codeValue, { issuer: clientId });
  if (!verdict.isAcCode) return { result: ok, isSupported: false };
  const extendInfo = verdict.acDecodeConfig ? JSON.stringify({ matchResult: verdict.acDecodeConfig }) : undefined;
  return {
    result: ok,
    isSupported: true,
    postCodeMatchActionType: verdict.postCodeMatchActionType,
    ...(verdict.postCodeMatchActionType === 'OPEN_URL' && { redirectUrl: verdict.redirectUrl ?? codeValue, userAgent: verdict.userAgent }),
    ...(extendInfo && { extendInfo }),
  };
}
