import { describe, expect, it } from 'vitest';
import { flatness } from '../../bench/scenarios/soak.ts';

const every5s = (mb: readonly number[]) => mb.map((rssMb, i) => ({ atMs: i * 5000, rssMb }));

describe('bench soak: RSS flatness', () => {
  it('leaves the growth from idle to working size out: the first minute is warm-up', () => {
    // 124 MB idle at the start, then flat at about 148 MB for five minutes.
    const series = every5s([124, 147, 153, ...Array.from({ length: 58 }, (_, i) => 148 + (i % 3) - 1)]);
    const f = flatness(series, 300);
    expect(f.warmUpSeconds).toBe(60);
    expect(f.afterWarmUpMb).toBeGreaterThan(146);
    expect(f.afterWarmUpMb).toBeLessThan(150);
    expect(f.endMb / f.afterWarmUpMb).toBeLessThan(1.1);
  });

  it('sees a leak: steady growth after the warm-up shows in the last minute', () => {
    const series = every5s(Array.from({ length: 61 }, (_, i) => 150 + i));
    const f = flatness(series, 300);
    expect(f.endMb / f.afterWarmUpMb).toBeGreaterThan(1.1);
  });

  it('takes a third of a short run as its warm-up', () => {
    const f = flatness(every5s([100, 110, 120, 130, 140, 150, 160]), 30);
    expect(f.warmUpSeconds).toBe(10);
    expect(f.afterWarmUpMb).toBe(125); // 10 s and 15 s
    expect(f.endMb).toBe(155); // the last 10 s: 25 s and 30 s
  });
});
