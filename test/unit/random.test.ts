/** secureRandomBytes (src/domain/random.ts): the pool hands every byte out once, and a slice kept stays the caller's own. */
import { describe, expect, it } from 'vitest';
import { RANDOM_POOL_BYTES, secureRandomBytes } from '../../src/domain/random.ts';

describe('secureRandomBytes', () => {
  it('gives exactly the size asked for, including none and more than the pool holds', () => {
    for (const size of [0, 1, 8, 12, 32, RANDOM_POOL_BYTES, RANDOM_POOL_BYTES + 1, 3 * RANDOM_POOL_BYTES]) {
      expect(secureRandomBytes(size)).toHaveLength(size);
    }
  });

  it('refuses a size that is not a count of bytes', () => {
    for (const size of [-1, 1.5, Number.NaN]) expect(() => secureRandomBytes(size)).toThrow(RangeError);
  });

  it('never hands out the same bytes twice, across many replacements of the pool', () => {
    // 20,000 draws of 32 bytes cross the 4 KiB pool about 160 times; a repeat of 256 bits is impossible unless a byte range was reused.
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(secureRandomBytes(32).toString('hex'));
    expect(seen.size).toBe(20_000);
  });

  it('leaves a slice it handed out unchanged when the pool is replaced', () => {
    const kept = secureRandomBytes(32);
    const copy = Buffer.from(kept);
    for (let i = 0; i < 3 * (RANDOM_POOL_BYTES / 8); i++) secureRandomBytes(8);
    expect(kept.equals(copy)).toBe(true);
  });

  it('draws from the whole byte range (not a constant or a counter)', () => {
    const bytes = Buffer.concat(Array.from({ length: 64 }, () => secureRandomBytes(64)));
    const distinct = new Set(bytes).size;
    expect(distinct).toBeGreaterThan(200); // 4,096 uniform bytes miss a given value with probability about 1e-7
  });
});
