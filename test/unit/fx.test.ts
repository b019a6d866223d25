import Big from 'big.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FxError, ROUNDING_MODES, checkPayToAmount, convert, isRoundingModeName, parseQuote, type Quote, type RoundingModeName } from '../../src/domain/fx.ts';
import { MAX_VALUE_MINOR, currencyExponent, isCurrency, type CurrencyCode, type Money } from '../../src/domain/money.ts';

const cur = (code: string): CurrencyCode => {
  if (!isCurrency(code)) throw new Error(`test setup: ${code} is not a currency`);
  return code;
};
const m = (code: string, valueMinor: bigint): Money => ({ currency: cur(code), valueMinor });
const q = (quoteCurrencyPair: string, quotePrice: string): Quote => ({ quoteId: 'Q1', quoteCurrencyPair, quotePrice });

/** The reference: big.js at 200 decimals, independent of the code under test. */
const Exact = Big();
Exact.DP = 200;

function fxErrorOf(fn: () => unknown): FxError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FxError) return error;
    throw error;
  }
  throw new Error('expected an FxError');
}

describe('the seed sample (§7, seed step 5)', () => {
  it('pays JPY 100 at JPY/KRW 10.0000 as KRW 1000', () => {
    expect(convert(m('JPY', 100n), q('JPY/KRW', '10.0000'), cur('KRW'))).toEqual(m('KRW', 1000n));
    expect(checkPayToAmount({ paymentAmount: m('JPY', 100n), payToAmount: m('KRW', 1000n), quote: q('JPY/KRW', '10.0000') })).toEqual({
      ok: true,
      expected: m('KRW', 1000n),
    });
  });

  it('divides when the pay-to currency is the BASE: JPY 100 at KRW/JPY 0.1 is KRW 1000', () => {
    expect(convert(m('JPY', 100n), q('KRW/JPY', '0.1'), cur('KRW'))).toEqual(m('KRW', 1000n));
  });

  it('divides when paying KRW 1000 out in JPY at JPY/KRW 10.0000: JPY 100', () => {
    expect(convert(m('KRW', 1000n), q('JPY/KRW', '10.0000'), cur('JPY'))).toEqual(m('JPY', 100n));
  });
});

describe('rounding into the pay-to minor unit (§2: major units, then minor)', () => {
  it.each<[RoundingModeName, bigint]>([
    ['ROUND_HALF_UP', 151n],
    ['ROUND_HALF_EVEN', 150n],
    ['ROUND_DOWN', 150n],
    ['ROUND_UP', 151n],
  ])('USD 1.00 at USD/JPY 150.5 with %s gives JPY %s', (rounding, expected) => {
    expect(convert(m('USD', 100n), q('USD/JPY', '150.5'), cur('JPY'), rounding).valueMinor).toBe(expected);
  });

  it('rounds half-even up when the even neighbour is above: USD 1.00 at 151.5 -> JPY 152', () => {
    expect(convert(m('USD', 100n), q('USD/JPY', '151.5'), cur('JPY'), 'ROUND_HALF_EVEN').valueMinor).toBe(152n);
  });

  it('defaults to ROUND_HALF_UP', () => {
    expect(convert(m('USD', 1n), q('USD/JPY', '150.5'), cur('JPY')).valueMinor).toBe(2n); // 1.505 -> 2
  });

  it('re-expresses in three decimals: USD 1.00 at USD/KWD 0.30745 is KWD 0.307', () => {
    expect(convert(m('USD', 100n), q('USD/KWD', '0.30745'), cur('KWD'))).toEqual(m('KWD', 307n));
  });

  it('re-expresses in four decimals when dividing: CLP 1000 at CLF/CLP 37000 is CLF 0.0270', () => {
    expect(convert(m('CLP', 1000n), q('CLF/CLP', '37000'), cur('CLF'))).toEqual(m('CLF', 270n));
    expect(convert(m('CLP', 1000n), q('CLF/CLP', '37000'), cur('CLF'), 'ROUND_UP')).toEqual(m('CLF', 271n));
  });

  it('rounds a repeating quotient once, not twice: JPY 2 at USD/JPY 3 in USD is 0.67 (half-up) / 0.66 (down)', () => {
    expect(convert(m('JPY', 2n), q('USD/JPY', '3'), cur('USD')).valueMinor).toBe(67n);
    expect(convert(m('JPY', 2n), q('USD/JPY', '3'), cur('USD'), 'ROUND_DOWN').valueMinor).toBe(66n);
  });
});

describe('refunds at the payment own rate (§5)', () => {
  const paymentQuote = q('USD/KRW', '1350.25');

  it('converts the refundAmount with the payment quotePrice: USD 3.33 -> KRW 4496', () => {
    expect(convert(m('USD', 333n), paymentQuote, cur('KRW'))).toEqual(m('KRW', 4496n)); // 4496.3325
  });

  it('converts a full refund to the same amount the payment settled', () => {
    const payTo = convert(m('USD', 1000n), paymentQuote, cur('KRW'));
    expect(convert(m('USD', 1000n), paymentQuote, cur('KRW'))).toEqual(payTo);
    expect(payTo).toEqual(m('KRW', 13503n)); // 13502.5 half-up
  });
});

describe('rejected quotes', () => {
  it.each(['JPYKRW', 'JPY-KRW', 'jpy/krw', 'JPY/JPY', 'JPY/XYZ', 'JPY/KRW/USD', ''])('refuses the pair "%s"', (pair) => {
    const error = fxErrorOf(() => parseQuote(q(pair, '10')));
    expect(error).toMatchObject({ kind: 'PAIR_MALFORMED', field: 'paymentQuote.quoteCurrencyPair', code: 'PARAM_ILLEGAL' });
  });

  it.each(['USD/EUR', 'JPY/USD', 'USD/KRW'])('refuses the pair %s that does not name both JPY and KRW', (pair) => {
    const error = fxErrorOf(() => convert(m('JPY', 100n), q(pair, '10'), cur('KRW')));
    expect(error).toMatchObject({ kind: 'PAIR_MISMATCH', field: 'paymentQuote.quoteCurrencyPair' });
  });

  it.each(['0', '0.000', '-10', '1e3', '10.', '.5', '010', ' 10', 'NaN', '', '12345678901234567', '1.12345678901234567'])('refuses the quotePrice "%s"', (price) => {
    const error = fxErrorOf(() => parseQuote(q('JPY/KRW', price)));
    expect(error).toMatchObject({ kind: 'PRICE_INVALID', field: 'paymentQuote.quotePrice' });
  });

  it('accepts the widest price it bounds: 16 integer digits and 16 decimals', () => {
    expect(() => parseQuote(q('JPY/KRW', '1234567890123456.1234567890123456'))).not.toThrow();
    expect(() => parseQuote(q('JPY/KRW', '0.0000000000000001'))).not.toThrow();
  });

  it('names the refund quote field when asked', () => {
    expect(fxErrorOf(() => parseQuote(q('JPY', '1'), 'refundQuote')).field).toBe('refundQuote.quoteCurrencyPair');
  });

  it('refuses a result that does not fit a BIGINT', () => {
    const error = fxErrorOf(() => convert(m('USD', MAX_VALUE_MINOR), q('USD/KRW', '1000'), cur('KRW')));
    expect(error.kind).toBe('RESULT_OUT_OF_RANGE');
  });
});

describe('checking a received payToAmount (§2, §4)', () => {
  const paymentAmount = m('JPY', 100n);
  const quote = q('JPY/KRW', '10.0000');

  it('refuses a payToAmount one won off with the default tolerance 0, telling the expected value', () => {
    const check = checkPayToAmount({ paymentAmount, payToAmount: m('KRW', 1001n), quote });
    expect(check).toMatchObject({ ok: false, kind: 'MISMATCH', expected: m('KRW', 1000n), differenceMinor: 1n });
    if (!check.ok) expect(check.error).toMatchObject({ kind: 'AMOUNT_MISMATCH', field: 'payToAmount.value', code: 'PARAM_ILLEGAL' });
  });

  it('accepts a difference within the configured tolerance and refuses one beyond it', () => {
    expect(checkPayToAmount({ paymentAmount, payToAmount: m('KRW', 999n), quote, toleranceMinor: 1n }).ok).toBe(true);
    expect(checkPayToAmount({ paymentAmount, payToAmount: m('KRW', 1002n), quote, toleranceMinor: 1n })).toMatchObject({
      ok: false,
      kind: 'MISMATCH',
      differenceMinor: 2n,
    });
  });

  it('applies the configured rounding mode', () => {
    const input = { paymentAmount: m('USD', 100n), payToAmount: m('JPY', 150n), quote: q('USD/JPY', '150.5') };
    expect(checkPayToAmount({ ...input, rounding: 'ROUND_HALF_UP' }).ok).toBe(false);
    expect(checkPayToAmount({ ...input, rounding: 'ROUND_HALF_EVEN' }).ok).toBe(true);
  });

  it('needs no quote in one currency, and then the amounts must be equal exactly', () => {
    expect(checkPayToAmount({ paymentAmount: m('USD', 100n), payToAmount: m('USD', 100n) })).toEqual({ ok: true, expected: m('USD', 100n) });
    expect(checkPayToAmount({ paymentAmount: m('USD', 100n), payToAmount: m('USD', 101n), toleranceMinor: 5n })).toMatchObject({
      ok: false,
      kind: 'MISMATCH',
    });
  });

  it('ignores a quote sent with two amounts in one currency', () => {
    expect(checkPayToAmount({ paymentAmount: m('USD', 100n), payToAmount: m('USD', 100n), quote: q('EUR/JPY', '160') }).ok).toBe(true);
  });

  it('refuses different currencies without a quote, naming paymentQuote', () => {
    const check = checkPayToAmount({ paymentAmount, payToAmount: m('KRW', 1000n) });
    expect(check).toMatchObject({ ok: false, kind: 'INVALID' });
    if (!check.ok) expect(check.error).toMatchObject({ kind: 'QUOTE_MISSING', field: 'paymentQuote' });
  });

  it('reports a malformed quote as INVALID rather than throwing', () => {
    const check = checkPayToAmount({ paymentAmount, payToAmount: m('KRW', 1000n), quote: q('JPY/KRW', '-1') });
    expect(check.ok ? undefined : check.error.kind).toBe('PRICE_INVALID');
  });
});

describe('rounding mode names', () => {
  it('knows the four configurable modes and nothing else', () => {
    expect(Object.keys(ROUNDING_MODES).sort()).toEqual(['ROUND_DOWN', 'ROUND_HALF_EVEN', 'ROUND_HALF_UP', 'ROUND_UP']);
    expect(isRoundingModeName('ROUND_HALF_UP')).toBe(true);
    expect(isRoundingModeName('HALF_UP')).toBe(false);
    expect(isRoundingModeName('toString')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties across exponents 0-4. ISO 4217 has no 1-decimal currency (MGA and MRU are listed
// with 2), so exponent 1 cannot occur; 0, 2, 3 and 4 are covered by JPY, USD, KWD and CLF.

const CURRENCIES = ['JPY', 'USD', 'KWD', 'CLF'].map(cur);
const MODES = Object.keys(ROUNDING_MODES) as RoundingModeName[];

const currencyPair = fc.tuple(fc.constantFrom(...CURRENCIES), fc.constantFrom(...CURRENCIES)).filter(([a, b]) => a !== b);

/** A positive price of 1 to 12 significant digits with 0 to 10 decimals, as a wire string. */
const price = fc
  .tuple(fc.bigInt({ min: 1n, max: 999_999_999_999n }), fc.integer({ min: 0, max: 10 }))
  .map(([mantissa, decimals]) => new Exact(mantissa).div(new Exact(10).pow(decimals)).toFixed(decimals));

const amountMinor = fc.bigInt({ min: 0n, max: 10n ** 12n });
const mode = fc.constantFrom(...MODES);

/** Largest allowed |rounded - exact|, in minor units: half a unit for HALF_*, under one for DOWN/UP. */
const bound = (rounding: RoundingModeName) => new Exact(rounding.startsWith('ROUND_HALF') ? '0.5' : '1');

/** Exact converted value in target minor units (big.js at 200 decimals). */
function exactMinor(amount: Money, from: CurrencyCode, to: CurrencyCode, p: string, divide: boolean): Big {
  const major = new Exact(amount.valueMinor).div(new Exact(10).pow(currencyExponent(from)));
  const converted = divide ? major.div(p) : major.times(p);
  return converted.times(new Exact(10).pow(currencyExponent(to)));
}

/** Skip cases whose result would not fit a BIGINT (covered by its own example). */
const fits = (exact: Big) => exact.lt(new Exact(MAX_VALUE_MINOR));

describe('conversion properties (fast-check)', () => {
  it('never loses or invents more than the rounding mode allows, multiplying or dividing', () => {
    fc.assert(
      fc.property(currencyPair, price, amountMinor, mode, fc.boolean(), ([from, to], p, value, rounding, baseIsFrom) => {
        const amount = { currency: from, valueMinor: value };
        const pair = baseIsFrom ? `${from}/${to}` : `${to}/${from}`;
        const exact = exactMinor(amount, from, to, p, !baseIsFrom);
        fc.pre(fits(exact));
        const converted = new Exact(convert(amount, q(pair, p), to, rounding).valueMinor);
        const error = converted.minus(exact);
        if (rounding.startsWith('ROUND_HALF')) expect(error.abs().lte(bound(rounding))).toBe(true);
        else expect(error.abs().lt(bound(rounding))).toBe(true);
        if (rounding === 'ROUND_DOWN') expect(error.lte(0)).toBe(true);
        if (rounding === 'ROUND_UP') expect(error.gte(0)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('comes back within the bound after converting there and back at the same quote', () => {
    fc.assert(
      fc.property(currencyPair, price, amountMinor, mode, ([from, to], p, value, rounding) => {
        const amount = { currency: from, valueMinor: value };
        const quote = q(`${from}/${to}`, p);
        fc.pre(fits(exactMinor(amount, from, to, p, false)));
        const there = convert(amount, quote, to, rounding);
        const back = convert(there, quote, from, rounding);
        // |back - amount| <= r + r x 10^(e_from - e_to) / price, r the per-step bound (in from minor units)
        const r = bound(rounding);
        const scale = new Exact(10).pow(currencyExponent(from) - currencyExponent(to));
        const allowed = r.plus(r.times(scale).div(p));
        expect(new Exact(back.valueMinor - value).abs().lte(allowed)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same result for a pair in either order when the reciprocal price is exact', () => {
    // prices 2^i x 5^j x 10^k have exact decimal reciprocals
    const reciprocalPrice = fc
      .tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 }), fc.integer({ min: -3, max: 3 }))
      .map(([i, j, k]) => new Exact(2).pow(i).times(new Exact(5).pow(j)).times(new Exact(10).pow(k)));
    fc.assert(
      fc.property(currencyPair, reciprocalPrice, amountMinor, mode, ([from, to], p, value, rounding) => {
        const amount = { currency: from, valueMinor: value };
        const direct = q(`${from}/${to}`, p.toFixed());
        const reversed = q(`${to}/${from}`, new Exact(1).div(p).toFixed());
        fc.pre(fits(exactMinor(amount, from, to, p.toFixed(), false)));
        expect(convert(amount, reversed, to, rounding)).toEqual(convert(amount, direct, to, rounding));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts its own payToAmount, and anything within the tolerance, and refuses one unit beyond', () => {
    fc.assert(
      fc.property(currencyPair, price, amountMinor, mode, fc.bigInt({ min: 0n, max: 5n }), ([from, to], p, value, rounding, tolerance) => {
        const paymentAmount = { currency: from, valueMinor: value };
        const quote = q(`${from}/${to}`, p);
        fc.pre(fits(exactMinor(paymentAmount, from, to, p, false).plus(100)));
        const expected = convert(paymentAmount, quote, to, rounding);
        const check = (valueMinor: bigint) => checkPayToAmount({ paymentAmount, payToAmount: { currency: to, valueMinor }, quote, rounding, toleranceMinor: tolerance });
        expect(check(expected.valueMinor)).toEqual({ ok: true, expected });
        expect(check(expected.valueMinor + tolerance).ok).toBe(true);
        expect(check(expected.valueMinor + tolerance + 1n)).toMatchObject({ ok: false, kind: 'MISMATCH', expected });
        if (expected.valueMinor - tolerance - 1n >= 0n) {
          expect(check(expected.valueMinor - tolerance - 1n)).toMatchObject({ ok: false, kind: 'MISMATCH', expected });
        }
      }),
      { numRuns: 1000 },
    );
  });
});
