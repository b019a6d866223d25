import { describe, expect, it } from 'vitest';
import type { CurrencyCode } from '../../../src/domain/money.ts';
import { assertBalanced, house, sameLegs, UnbalancedTransfer, wallet } from '../../../src/domain/wallet/ledger.ts';

const jpy = (v: bigint) => ({ currency: 'JPY' as CurrencyCode, valueMinor: v });
const krw = (v: bigint) => ({ currency: 'KRW' as CurrencyCode, valueMinor: v });

describe('ledger transfer rules', () => {
  it('accepts balanced legs and refuses unbalanced, zero, single or duplicate ones', () => {
    const ok = [
      { account: house('FUNDING'), amount: krw(-5n) },
      { account: wallet('C1'), amount: krw(5n) },
    ];
    expect(() => assertBalanced(ok)).not.toThrow();
    expect(() => assertBalanced([ok[0]!, { account: wallet('C1'), amount: krw(4n) }])).toThrow(UnbalancedTransfer);
    expect(() => assertBalanced([ok[1]!])).toThrow(UnbalancedTransfer);
    expect(() => assertBalanced([...ok, { account: house('SURCHARGE'), amount: krw(0n) }])).toThrow(UnbalancedTransfer);
    expect(() => assertBalanced([...ok, { account: wallet('C1'), amount: krw(1n) }, { account: house('FUNDING'), amount: krw(-1n) }])).toThrow(UnbalancedTransfer);
    // Balanced per currency, not merely in total.
    expect(() =>
      assertBalanced([
        { account: house('FUNDING'), amount: krw(-5n) },
        { account: wallet('C1'), amount: jpy(5n) },
      ]),
    ).toThrow(UnbalancedTransfer);
  });

  it('compares legs regardless of order', () => {
    const a = [
      { account: house('FUNDING'), amount: krw(-5n) },
      { account: wallet('C1'), amount: krw(5n) },
    ];
    expect(sameLegs(a, [a[1]!, a[0]!])).toBe(true);
    expect(sameLegs(a, [a[0]!, { account: wallet('C2'), amount: krw(5n) }])).toBe(false);
  });
});
