/**
 * §3 token issuance: the rules that need no storage. Auth codes, access tokens and refresh tokens
 * are opaque random values from the CSPRNG; only their SHA-256 digests are ever stored (§3 "stored
 * only as hashes"). SHA-256 without a salt is enough here because the values carry 128+ bits of
 * entropy: there is nothing to guess from a leaked digest.
 */
import { createHash, createHmac } from 'node:crypto';
import { secureRandomBytes } from '../random.ts';
import type { AccessTokenRecord } from './ports.ts';

/**
 * Scopes the app may ask for (the client SDK's getAuthCode asks for BASE_USER_INFO, §3). A small
 * allow-list of the names the Alipay+ / Ant auth family uses; anything else is refused.
 */
export const AUTH_SCOPES = ['BASE_USER_INFO', 'USER_NAME', 'USER_AVATAR', 'USER_LOGIN_ID', 'HASH_LOGIN_ID', 'AGREEMENT_PAY'] as const;
export type AuthScope = (typeof AUTH_SCOPES)[number];
export const DEFAULT_SCOPES: readonly AuthScope[] = ['BASE_USER_INFO'];

/** §3: an authCode is at most 32 characters: 16 random bytes as 32 upper-case hex digits (128 bits), like the contract's sample. */
export const AUTH_CODE_LENGTH = 32;
/** §3: tokens are at most 128 characters: 32 random bytes as 64 upper-case hex digits (256 bits). */
export const TOKEN_LENGTH = 64;

export function newAuthCode(): string {
  return secureRandomBytes(AUTH_CODE_LENGTH / 2)
    .toString('hex')
    .toUpperCase();
}

export function newToken(): string {
  return secureRandomBytes(TOKEN_LENGTH / 2)
    .toString('hex')
    .toUpperCase();
}

/** Our id of a grant (an authorization): never a secret, safe to log. */
export function newGrantId(): string {
  return `G${secureRandomBytes(16).toString('hex')}`;
}

/** What is stored in place of a code or token: lower-case hex SHA-256 of the exact value received. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Scopes as stored: de-duplicated, in the allow-list's order, the default when none is asked for. */
export function normaliseScopes(scopes: readonly AuthScope[] | undefined): AuthScope[] {
  const asked = new Set(scopes && scopes.length > 0 ? scopes : DEFAULT_SCOPES);
  return AUTH_SCOPES.filter((s) => asked.has(s));
}

/**
 * `now + ttlSeconds`, on a whole second: expiry times go out as ISO 8601 without fractions, so the
 * time we announce is exactly the time we enforce.
 */
export function expiryAfter(now: Date, ttlSeconds: number): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000 + ttlSeconds * 1000);
}

/**
 * §3 revision 2 refresh rotation: the new pair is derived from the old refresh token and a random
 * per-rotation nonce (HMAC-SHA256, 64 upper-case hex digits like newToken). The nonce is stored,
 * the tokens are not: a repeat of the same refresh (it presents the old refresh token) derives the
 * same pair on any instance, while neither the database alone nor an old refresh token alone
 * yields the new tokens.
 */
export function newRotationNonce(): string {
  return secureRandomBytes(32).toString('hex');
}

export function rotatedTokens(nonce: string, oldRefreshToken: string): { accessToken: string; refreshToken: string } {
  const derive = (label: string) => createHmac('sha256', Buffer.from(nonce, 'hex')).update(`${label}\n${oldRefreshToken}`, 'utf8').digest('hex').toUpperCase();
  return { accessToken: derive('access'), refreshToken: derive('refresh') };
}

/** Why an access token cannot be used (§3 inquiryUserInfo, §10 Auto Debit): the two F results for it. */
export type AccessTokenRefusal = 'INVALID_TOKEN' | 'EXPIRED_ACCESS_TOKEN';

/**
 * §3: an access token must be live. Unknown or revoked -> INVALID_TOKEN (a revoked one even when
 * it has also expired), expired -> EXPIRED_ACCESS_TOKEN; undefined when it is live.
 */
export function accessTokenRefusal(token: AccessTokenRecord | undefined, now: Date): AccessTokenRefusal | undefined {
  if (!token || token.grant.revokedAt) return 'INVALID_TOKEN';
  if (token.expiresAt.getTime() <= now.getTime()) return 'EXPIRED_ACCESS_TOKEN';
  return undefined;
}

/**
 * §10 Auto Debit: the access token a pay names as its paymentMethodId must be live
 * (accessTokenRefusal), of scope AGREEMENT_PAY and the customer's own; one of another scope or
 * another customer is INVALID_TOKEN (our choice: it says nothing about whose token it is);
 * undefined when it may pay. The synchronous pay's statement applies the same rule in SQL
 * (tokens-repository.ts, agreementTokenRefusalSql); test/integration/agreement-token-rule.test.ts
 * holds the two to the same answers.
 */
export function agreementTokenRefusal(token: AccessTokenRecord | undefined, customerId: string, now: Date): AccessTokenRefusal | undefined {
  const notLive = accessTokenRefusal(token, now);
  if (notLive) return notLive;
  if (!token?.grant.scopes.includes('AGREEMENT_PAY') || token.grant.customerId !== customerId) return 'INVALID_TOKEN';
  return undefined;
}
