/** §10 the agreement's live access token is kept sealed: only our MPP key opens it, and any change is refused. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenSealer } from '../../../src/adapters/token-seal.ts';

const key = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

describe('tokenSealer', () => {
  const sealer = tokenSealer(key());

  it('opens what it sealed, and the sealed form never holds the token', () => {
    const token = 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90';
    const sealed = sealer.seal(token);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(token);
    expect(sealer.open(sealed)).toBe(token);
    expect(sealer.seal(token)).not.toBe(sealed); // a fresh nonce each time
  });

  it('refuses a sealed token that was changed, or sealed under another key', () => {
    const sealed = sealer.seal('TOKEN');
    const [v, n, body] = sealed.split('.');
    // The second-to-last character always carries six bits of the sealed bytes (the last may
    // carry unused ones); it is replaced by another character, never by itself.
    const at = body!.length - 2;
    const flipped = `${v}.${n}.${body!.slice(0, at)}${body![at] === 'A' ? 'B' : 'A'}${body!.slice(at + 1)}`;
    expect(flipped).not.toBe(sealed);
    expect(() => sealer.open(flipped)).toThrow();
    expect(() => tokenSealer(key()).open(sealed)).toThrow();
    expect(() => sealer.open('TOKEN')).toThrow('not a sealed token');
  });
});
