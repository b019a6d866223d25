import { describe, expect, it } from 'vitest';
import { AUTH_CODE_LENGTH, expiryAfter, newAuthCode, newGrantId, newToken, normaliseScopes, secretHash, TOKEN_LENGTH } from '../../../src/domain/tokens/token.ts';

describe('§3 secrets', () => {
  it('makes auth codes of 32 upper-case hex digits (128 bits), never the same twice', () => {
    const codes = new Set(Array.from({ length: 2000 }, newAuthCode));
    expect(codes.size).toBe(2000);
    for (const c of codes) expect(c).toMatch(/^[0-9A-F]{32}$/);
    expect(AUTH_CODE_LENGTH).toBeLessThanOrEqual(32);
  });

  it('makes tokens of 64 upper-case hex digits (256 bits), within the 128-character limit', () => {
    const tokens = new Set(Array.from({ length: 2000 }, newToken));
    expect(tokens.size).toBe(2000);
    for (const t of tokens) expect(t).toMatch(/^[0-9A-F]{64}$/);
    expect(TOKEN_LENGTH).toBeLessThanOrEqual(128);
  });

  it('uses every hex digit in every position (no fixed or biased characters)', () => {
    const seen = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...newAuthCode()].forEach((ch, pos) => seen[pos]!.add(ch));
    for (const s of seen) expect(s.size).toBe(16);
  });

  it('hashes with SHA-256 to lower-case hex (the stored form)', () => {
    expect(secretHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(secretHash('ABC')).not.toBe(secretHash('abc'));
  });

  it('names grants with a non-secret id', () => {
    expect(newGrantId()).toMatch(/^G[0-9a-f]{32}$/);
  });
});

describe('§3 scopes', () => {
  it('defaults to BASE_USER_INFO when none or an empty list is asked for', () => {
    expect(normaliseScopes(undefined)).toEqual(['BASE_USER_INFO']);
    expect(normaliseScopes([])).toEqual(['BASE_USER_INFO']);
  });

  it('drops duplicates and keeps one order whatever the order asked', () => {
    expect(normaliseScopes(['USER_AVATAR', 'BASE_USER_INFO', 'USER_AVATAR'])).toEqual(['BASE_USER_INFO', 'USER_AVATAR']);
    expect(normaliseScopes(['BASE_USER_INFO', 'USER_AVATAR'])).toEqual(normaliseScopes(['USER_AVATAR', 'BASE_USER_INFO']));
  });
});

describe('expiry times', () => {
  it('expire on a whole second, so the ISO time announced (no fractions) is the one enforced', () => {
    expect(expiryAfter(new Date('2030-01-01T00:00:00.999Z'), 300).toISOString()).toBe('2030-01-01T00:05:00.000Z');
    expect(expiryAfter(new Date('2030-01-01T00:00:00.000Z'), 3600).toISOString()).toBe('2030-01-01T01:00:00.000Z');
  });
});
