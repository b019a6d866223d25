/**
 * Setup calls the orchestrator makes before a timed run (customers, auth codes, list entries, the
 * first pay of a replay): signed as Alipay+ (§1), with an app JWT, or with the ops token.
 */
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { loadPrivateKey, sign, signatureHeader } from '../../src/alipayplus/signature.ts';
import { BENCH_APP_JWT_SECRET, BENCH_CLIENT_ID, BENCH_OPS_TOKEN, benchKeys } from './service.ts';

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** `F PARAM_ILLEGAL`-style text of an answer, for notes: `200 U PAYMENT_IN_PROCESS`. */
export function describe(a: Answer): string {
  const r = a.body.result as { resultStatus?: string; resultCode?: string } | undefined;
  return `${a.status} ${r?.resultStatus ?? '?'} ${r?.resultCode ?? a.text.slice(0, 120)}`;
}

async function call(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, text };
}

const aplusKey = loadPrivateKey(readFileSync(benchKeys.aplusPrivatePath, 'utf8'));

/** POST signed as Alipay+ would. */
export async function signedPost(base: string, path: string, body: unknown): Promise<Answer> {
  const raw = JSON.stringify(body);
  const time = isoWithOffset(new Date());
  const value = await sign({ method: 'POST', uri: path, clientId: BENCH_CLIENT_ID, time, body: raw }, aplusKey);
  return call(`${base}${path}`, {
    method: 'POST',
    body: raw,
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': BENCH_CLIENT_ID,
      'request-time': time,
      signature: signatureHeader('1', value),
    },
  });
}

export const opsHeaders = { authorization: `Bearer ${BENCH_OPS_TOKEN}`, 'content-type': 'application/json' };

export function opsPost(base: string, path: string, body: unknown): Promise<Answer> {
  return call(`${base}${path}`, { method: 'POST', headers: opsHeaders, body: JSON.stringify(body) });
}

/** An app user's bearer token: HS256 with APP_JWT_SECRET, `sub` = customerId. */
export function appJwt(customerId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(BENCH_APP_JWT_SECRET));
}

export function appPost(base: string, path: string, jwt: string, body: unknown): Promise<Answer> {
  return call(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Whether the service has a route: an unknown one answers 404 (whatever the body). */
export async function routeExists(base: string, path: string, headers: Record<string, string> = {}): Promise<boolean> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
  await res.arrayBuffer();
  return res.status !== 404;
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results in order. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
