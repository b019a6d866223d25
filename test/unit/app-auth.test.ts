/**
 * App JWT verification (src/http/app/auth.ts), in particular its cache of tokens that verified:
 * a cached token is still refused once it expires, a changed token is never a hit, and a token
 * that failed is never cached.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyAppToken } from '../../src/http/app/auth.ts';
import { appJwt, TEST_APP_JWT_SECRET } from '../support/harness.ts';

const T0 = new Date('2026-11-26T10:00:00Z');
const at = (d: Date) => ({ secret: new TextEncoder().encode(TEST_APP_JWT_SECRET), now: () => d });

describe('verifyAppToken', () => {
  it('accepts a good token twice, and refuses it once it has expired although it was cached', async () => {
    const o = at(T0);
    const token = await appJwt('auth-1', { now: T0, expiresInSeconds: 60 });
    expect(await verifyAppToken(token, o)).toEqual({ ok: true, customerId: 'auth-1' });
    expect(await verifyAppToken(token, o)).toEqual({ ok: true, customerId: 'auth-1' });
    const later = { ...o, now: () => new Date(T0.getTime() + 60_000) };
    expect(await verifyAppToken(token, later)).toEqual({ ok: false, reason: 'token expired' });
  });

  it('refuses a cached token with one character of its signature changed', async () => {
    const o = at(T0);
    const token = await appJwt('auth-2', { now: T0 });
    expect((await verifyAppToken(token, o)).ok).toBe(true);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.slice(-1)}`;
    expect(await verifyAppToken(tampered, o)).toEqual({ ok: false, reason: 'token invalid' });
  });

  it('refuses a token not valid yet (nbf), each time', async () => {
    const o = at(T0);
    const iat = Math.floor(T0.getTime() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('auth-3')
      .setNotBefore(iat + 30)
      .setExpirationTime(iat + 3600)
      .sign(o.secret);
    expect(await verifyAppToken(token, o)).toEqual({ ok: false, reason: 'token claim nbf invalid' });
    expect(await verifyAppToken(token, o)).toEqual({ ok: false, reason: 'token claim nbf invalid' });
    expect(await verifyAppToken(token, { ...o, now: () => new Date(T0.getTime() + 31_000) })).toEqual({ ok: true, customerId: 'auth-3' });
  });

  it('does not take a token signed with another secret for one it cached', async () => {
    const token = await appJwt('auth-4', { now: T0 });
    expect((await verifyAppToken(token, at(T0))).ok).toBe(true);
    const other = { secret: new TextEncoder().encode('another-secret-of-at-least-32-characters!'), now: () => T0 };
    expect(await verifyAppToken(token, other)).toEqual({ ok: false, reason: 'token invalid' });
  });
});
