/**
 * Where Alipay+ code rules come from (§6): the signed `inquiryCodeRules` call, and the preset
 * file shipped beside this module.
 *
 * The call, as the §1 envelope wants it both ways:
 *   POST {ALIPAYPLUS_BASE_URL}/aps/api/v1/codes/inquiryCodeRules
 *   Content-Type: application/json; charset=UTF-8, Client-Id, Request-Time, Signature (MPP key)
 *   body `{}` (our choice: the public material names no request field; Client-Id, which the
 *   signature covers, already says who asks, and the rule set is the same for every caller)
 * The answer must be HTTP 200 and carry `Client-Id`, `Response-Time` and a `Signature` that
 * verifies with the Alipay+ public key over `POST <path>\n<Client-Id>.<Response-Time>.<body>`;
 * anything else is refused and the caller keeps (or falls back to) what it has.
 *
 * A small signed POST of its own on purpose (fetch, a 5 s timeout, a size cap): a generic
 * Alipay+ client may replace it when one exists.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RemoteCodeRules } from '../domain/codes/ports.ts';
import { isoWithOffset } from '../http/alipayplus/envelope.ts';
import { parseSignatureHeader, sign, signatureHeader, verify } from '../http/signature.ts';

export const INQUIRY_CODE_RULES_PATH = '/aps/api/v1/codes/inquiryCodeRules';
export const INQUIRY_CODE_RULES_BODY = '{}';
const TIMEOUT_MS = 5000;
/** A production set holds several hundred rules (~0.5 KB each): 4 MB leaves ample room. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export interface AlipayPlusCodeRulesOptions {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly mppPrivateKey: KeyObject;
  readonly mppKeyVersion: string;
  readonly alipayPlusPublicKeys: ReadonlyMap<string, KeyObject>;
  readonly now: () => Date;
  readonly timeoutMs?: number;
}

export class CodeRulesFetchFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodeRulesFetchFailed';
  }
}

export function alipayPlusCodeRules(o: AlipayPlusCodeRulesOptions): RemoteCodeRules {
  const url = `${o.baseUrl.replace(/\/+$/, '')}${INQUIRY_CODE_RULES_PATH}`;
  const uri = new URL(url).pathname;
  return {
    async fetch() {
      const requestTime = isoWithOffset(o.now());
      const body = INQUIRY_CODE_RULES_BODY;
      const signature = await sign({ method: 'POST', uri, clientId: o.clientId, time: requestTime, body }, o.mppPrivateKey);
      let res: Response;
      let raw: Buffer;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=UTF-8',
            'client-id': o.clientId,
            'request-time': requestTime,
            signature: signatureHeader(o.mppKeyVersion, signature),
          },
          body,
          signal: AbortSignal.timeout(o.timeoutMs ?? TIMEOUT_MS),
        });
        const declared = Number(res.headers.get('content-length') ?? 0);
        if (declared > MAX_ANSWER_BYTES) throw new CodeRulesFetchFailed(`answer of ${declared} bytes is over ${MAX_ANSWER_BYTES}`);
        raw = Buffer.from(await res.arrayBuffer());
      } catch (err) {
        if (err instanceof CodeRulesFetchFailed) throw err;
        throw new CodeRulesFetchFailed(`inquiryCodeRules call failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (res.status !== 200) throw new CodeRulesFetchFailed(`inquiryCodeRules answered HTTP ${res.status}`);
      if (raw.length > MAX_ANSWER_BYTES) throw new CodeRulesFetchFailed(`answer of ${raw.length} bytes is over ${MAX_ANSWER_BYTES}`);
      await verifyAnswer(res.headers, uri, raw, o);
      try {
        return JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        throw new CodeRulesFetchFailed('inquiryCodeRules answer is not JSON');
      }
    },
  };
}

/** §1: answers to our calls are verified with the Alipay+ public key before they are read. */
async function verifyAnswer(headers: Headers, uri: string, raw: Buffer, o: AlipayPlusCodeRulesOptions): Promise<void> {
  const parsed = parseSignatureHeader(headers.get('signature') ?? undefined);
  const responseTime = headers.get('response-time');
  if (!parsed || !responseTime) throw new CodeRulesFetchFailed('inquiryCodeRules answer is not signed (Signature or Response-Time missing)');
  const key = o.alipayPlusPublicKeys.get(parsed.keyVersion ?? [...o.alipayPlusPublicKeys.keys()][0] ?? '');
  if (!key) throw new CodeRulesFetchFailed(`inquiryCodeRules answer signed with unknown keyVersion ${parsed.keyVersion}`);
  const clientId = headers.get('client-id') ?? o.clientId;
  const ok = await verify({ method: 'POST', uri, clientId, time: responseTime, body: raw }, parsed.signature, key);
  if (!ok) throw new CodeRulesFetchFailed('inquiryCodeRules answer signature does not verify');
}

export const PRESET_CODE_RULES_FILE = new URL('./code-rules-preset.json', import.meta.url);

/** The preset rule set shipped with the service (the last resort at start, §6). */
export async function readPresetCodeRules(): Promise<unknown> {
  return JSON.parse(await readFile(PRESET_CODE_RULES_FILE, 'utf8')) as unknown;
}
