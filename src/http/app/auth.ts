/**
 * App routes: `Authorization: Bearer <app JWT>`, HS256 with APP_JWT_SECRET, `sub` = customerId,
 * `exp` enforced. 401 with a reason otherwise. The verified customer id is on `req.customerId`.
 */
import { webcrypto } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import { result } from '../../domain/errors.ts';
import { bearerToken } from '../bearer.ts';

declare module 'fastify' {
  interface FastifyRequest {
    customerId?: string;
  }
}

export interface AppAuthOptions {
  readonly secret: Uint8Array;
  readonly now: () => Date;
}

export type AppTokenCheck = { ok: true; customerId: string } | { ok: false; reason: string };

/**
 * The secret as an HMAC key, imported once: given raw bytes, jose imports a WebCrypto key on every
 * verification (about a tenth of identify's time in the bench profile).
 */
const hmacKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();
function hmacKey(secret: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * Tokens that verified, by their exact text, per secret: an app sends the same token on every
 * call of a session, and verifying it again (base64, JSON, an HMAC on the thread pool) was a fifth
 * of identify's event loop in the bench. A hit still checks `exp` and `nbf` against now, as jose
 * does; only a token that verified is ever stored, so a hit needs the exact signed text. Bounded:
 * when full, the oldest entry goes.
 */
const MAX_VERIFIED_TOKENS = 10_000;
interface VerifiedToken {
  readonly customerId: string;
  readonly exp: number;
  readonly nbf: number | undefined;
}
const verifiedTokens = new WeakMap<Uint8Array, Map<string, VerifiedToken>>();

function timeCheck(v: VerifiedToken, now: Date): AppTokenCheck {
  const seconds = Math.floor(now.getTime() / 1000);
  if (v.exp <= seconds) return { ok: false, reason: 'token expired' };
  if (v.nbf !== undefined && v.nbf > seconds) return { ok: false, reason: 'token claim nbf invalid' };
  return { ok: true, customerId: v.customerId };
}

export async function verifyAppToken(token: string | undefined, o: AppAuthOptions): Promise<AppTokenCheck> {
  if (!token) return { ok: false, reason: 'missing bearer token' };
  let cache = verifiedTokens.get(o.secret);
  if (!cache) verifiedTokens.set(o.secret, (cache = new Map()));
  const known = cache.get(token);
  if (known) {
    const check = timeCheck(known, o.now());
    if (!check.ok) cache.delete(token);
    return check;
  }
  try {
    const { payload } = await jwtVerify(token, await hmacKey(o.secret), {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp'],
      currentDate: o.now(),
    });
    if (typeof payload.sub !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(payload.sub)) {
      return { ok: false, reason: 'token subject is not a customer id' };
    }
    if (cache.size >= MAX_VERIFIED_TOKENS) cache.delete(cache.keys().next().value!);
    cache.set(token, { customerId: payload.sub, exp: payload.exp!, nbf: payload.nbf });
    return { ok: true, customerId: payload.sub };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token expired' };
    if (err instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: `token claim ${err.claim} invalid` };
    return { ok: false, reason: 'token invalid' };
  }
}

/** Requires a valid app JWT on every route of this (encapsulated) context. */
export function requireAppUser(app: FastifyInstance, o: AppAuthOptions): void {
  app.decorateRequest('customerId', undefined);
  app.addHook('onRequest', async (req, reply) => {
    const check = await verifyAppToken(bearerToken(req), o);
    if (!check.ok) {
      req.log.warn({ reason: check.reason }, 'app request refused');
      return reply.code(401).send({ result: result('ACCESS_DENIED', `Unauthorized: ${check.reason}`) });
    }
    req.customerId = check.customerId;
  });
}
