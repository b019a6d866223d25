/**
 * Where Alipay+ code rules come from (§6): the signed `inquiryCodeRules` call, and the preset
 * file shipped beside this module.
 *
 * The call goes through the one signed client (src/alipayplus/client.ts), as the §1
 * envelope wants it both ways: `POST {ALIPAYPLUS_BASE_URL}/aps/api/v1/codes/inquiryCodeRules`
 * signed with the MPP key, body `{}` (our choice: the public material names no request field;
 * Client-Id, which the signature covers, already says who asks, and the rule set is the same for
 * every caller), a 5 s timeout and a 4 MiB cap on the answer. The answer counts only when it is
 * HTTP 200, signed by Alipay+, with a `result`; anything else is refused and the caller keeps (or falls
 * back to) what it has.
 */
import { readFile } from 'node:fs/promises';
import type { RemoteCodeRules } from '../domain/codes/ports.ts';
import { type AlipayPlusCallResult, type AlipayPlusClient, INQUIRY_CODE_RULES_PATH } from '../alipayplus/client.ts';

export { INQUIRY_CODE_RULES_PATH };

export class CodeRulesFetchFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodeRulesFetchFailed';
  }
}

/** Why a call did not give a rule set, as the message the rule book logs. */
function failure(r: Exclude<AlipayPlusCallResult, { kind: 'answered' }>): CodeRulesFetchFailed {
  switch (r.kind) {
    case 'timeout':
      return new CodeRulesFetchFailed('inquiryCodeRules call failed: timed out');
    case 'network-error':
      return new CodeRulesFetchFailed(`inquiryCodeRules call failed: ${r.error.message}`, { cause: r.error });
    case 'http-error':
      return new CodeRulesFetchFailed(`inquiryCodeRules answered HTTP ${r.status}`);
    case 'bad-signature':
      return new CodeRulesFetchFailed(`inquiryCodeRules answer is not from Alipay+: ${r.reason}`);
    case 'malformed-answer':
      return new CodeRulesFetchFailed(`inquiryCodeRules answer is malformed: ${r.reason}`);
    case 'not-configured':
      return new CodeRulesFetchFailed('ALIPAYPLUS_BASE_URL is not set');
    case 'refused-url':
      return new CodeRulesFetchFailed(`inquiryCodeRules not sent: ${r.reason}`);
  }
}

export function alipayPlusCodeRules(client: AlipayPlusClient): RemoteCodeRules {
  return {
    async fetch() {
      const r = await client.inquiryCodeRules();
      if (r.kind !== 'answered') throw failure(r);
      // §1 answers are HTTP 200; the client takes any 2xx (notifyPayment receivers vary).
      if (r.status !== 200) throw new CodeRulesFetchFailed(`inquiryCodeRules answered HTTP ${r.status}`);
      return r.body;
    },
  };
}

export const PRESET_CODE_RULES_FILE = new URL('./code-rules-preset.json', import.meta.url);

/** The preset rule set shipped with the service (the last resort at start, §6). */
export async function readPresetCodeRules(): Promise<unknown> {
  return JSON.parse(await readFile(PRESET_CODE_RULES_FILE, 'utf8')) as unknown;
}
