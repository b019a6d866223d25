/**
 * Alipay+ remote identification (code-identification-sdk.md fact 12), as Ant's SDK calls it:
 * `GET {ALIPAYPLUS_IDENTIFY_URL}?clientId=..&codeValue=..&jarVersion=..`, keys sorted, values
 * URL-encoded like Java's URLEncoder with spaces as `%20`, unsigned, 1 s to answer. Success needs
 * HTTP 2xx and `result.resultCode` SUCCESS; anything else resolves to undefined, which the domain
 * reads as "not an Alipay+ code" (no fallback to another rule). Never throws.
 */
import { z } from 'zod';
import { javaUrlEncode } from '../domain/codes/java-text.ts';
import type { CodesLog, RemoteAnswer, RemoteCodeIdentification } from '../domain/codes/ports.ts';
import { SDK_JAR_VERSION } from '../domain/codes/rules.ts';

const REMOTE_IDENTIFY_TIMEOUT_MS = 1000;
/** Bounded work: an answer larger than this is refused. */
const MAX_ANSWER_BYTES = 64 * 1024;

const AnswerSchema = z.object({
  result: z.object({ resultCode: z.string() }),
  isSupported: z.boolean().nullish(),
  postCodeMatchActionType: z.string().nullish(),
  redirectUrl: z.string().nullish(),
  userAgent: z.string().nullish(),
  extendInfo: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
});

export interface RemoteIdentifyOptions {
  readonly url: string;
  readonly clientId: string;
  readonly log: CodesLog;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** The query string exactly as the SDK writes it. */
export function remoteIdentifyQuery(clientId: string, codeValue: string): string {
  const params: [string, string][] = [
    ['clientId', clientId],
    ['codeValue', codeValue],
    ['jarVersion', SDK_JAR_VERSION],
  ];
  return params
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${javaUrlEncode(v)}`)
    .join('&');
}

export function remoteCodeIdentification(o: RemoteIdentifyOptions): RemoteCodeIdentification {
  const doFetch = o.fetch ?? fetch;
  return {
    async identify(codeValue) {
      const url = `${o.url}${o.url.includes('?') ? '&' : '?'}${remoteIdentifyQuery(o.clientId, codeValue)}`;
      try {
        const res = await doFetch(url, { method: 'GET', signal: AbortSignal.timeout(o.timeoutMs ?? REMOTE_IDENTIFY_TIMEOUT_MS), redirect: 'error' });
        const text = await res.text();
        if (!res.ok || text.length > MAX_ANSWER_BYTES) return refused(o.log, `HTTP ${res.status}, ${text.length} characters`);
        const parsed = AnswerSchema.safeParse(JSON.parse(text));
        if (!parsed.success) return refused(o.log, 'answer is not {result, isSupported, ...}');
        const a = parsed.data;
        if (a.result.resultCode !== 'SUCCESS') return refused(o.log, `resultCode ${a.result.resultCode}`);
        const answer: RemoteAnswer = {
          isSupported: a.isSupported === true,
          ...(a.postCodeMatchActionType && { postCodeMatchActionType: a.postCodeMatchActionType }),
          ...(a.redirectUrl && { redirectUrl: a.redirectUrl }),
          ...(a.userAgent && { userAgent: a.userAgent }),
          ...(a.extendInfo && { extendInfo: a.extendInfo }),
        };
        return answer;
      } catch (err) {
        return refused(o.log, err instanceof Error ? err.message : String(err));
      }
    },
  };
}

function refused(log: CodesLog, reason: string): undefined {
  log.warn({ reason }, 'remote code identification failed: the code is not an Alipay+ code');
  return undefined;
}
