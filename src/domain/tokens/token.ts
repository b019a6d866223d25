/**
 * §3 token issuance: the rules that need no storage. Auth codes, access tokens and refresh tokens
 * are opaque random values from the CSPRNG; only their SHA-256 digests are ever stored (§3 "stored
 * only as hashes"). SHA-256 without a salt is enough here because the values carry 128+ bits of
 * entropy: there is nothing to guess from a leaked digest.
 */
import { createHash, randomBytes } from 'node:crypto';

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
  return randomBytes(AUTH_CODE_LENGTH / 2)
    .toString('hex')
    .toUpperCase();
}

export function newToken(): string {
  return randomBytes(TOKEN_LENGTH / 2)
    .toString('hex')
    .toUpperCase();
}

/** Our id of a grant (an authorization): never a secret, safe to log. */
export function newGrantId(): string {
  return `G${randomBytes(16).toString('hex')}`;
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
