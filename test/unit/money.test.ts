import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AmountError,
  CURRENCY_CODES,
  CurrencyMismatchError,
  ISO_4217_PUBLISHED,
  MAX_VALUE_MINOR,
  addMoney,
  compareMoney,
  currencyExponent,
  formatMoney,
  isCurrency,
  isStorable,
  moneyEquals,
  parseAmount,
  requireAmount,
  subtractMoney,
  toMajorString,
  type CurrencyCode,
  type Money,
} from '../../src/domain/money.ts';

const cur = (code: string): CurrencyCode => {
  if (!isCurrency(code)) throw new Error(`test setup: ${code} is not a currency`);
  return code;
};
const m = (code: string, valueMinor: bigint): Money => ({ currency: cur(code), valueMinor });

describe('ISO 4217 exponents (§2)', () => {
  it.each([
    ['JPY', 0],
    ['KRW', 0],
    ['USD', 2],
    ['IDR', 2],
    ['KWD', 3],
    ['BHD', 3],
    ['CLF', 4],
    ['UYW', 4],
  ])('%s has %i decimals', (code, exponent) => {
    expect(currencyExponent(cur(code))).toBe(exponent);
  });

  it('treats the codes ISO lists with minor unit N.A. (gold, SDR, XXX...) as whole units', () => {
    for (const code of ['XAU', 'XAG', 'XDR', 'XXX', 'XTS']) expect(currencyExponent(cur(code))).toBe(0);
  });

  it('keeps every exponent between 0 and 4 across the whole table', () => {
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
    for (const code of CURRENCY_CODES) expect([0, 2, 3, 4]).toContain(currencyExponent(code));
  });

  it('uses the ISO list the package ships (not a locale library)', () => {
    expect(ISO_4217_PUBLISHED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('accepts current codes and refuses withdrawn, lower-case or invented ones', () => {
    expect(isCurrency('ZWG')).toBe(true);
    expect(isCurrency('SLE')).toBe(true);
    for (const code of ['HRK', 'SLL', 'usd', 'ABC', '', 'USDX']) expect(isCurrency(code)).toBe(false);
  });
});

describe('parsing a wire amount (§2)', () => {
  it.each([
    ['0', 0n],
    ['1', 1n],
    ['100', 100n],
    ['1234567890123456789', 1234567890123456789n],
    ['9223372036854775807', MAX_VALUE_MINOR],
  ])('accepts value "%s"', (value, expected) => {
    const parsed = parseAmount({ currency: 'USD', value }, 'paymentAmount');
    expect(parsed).toEqual({ ok: true, value: { currency: 'USD', valueMinor: expected } });
  });

  it.each([
    ['00', 'VALUE_LEADING_ZERO'],
    ['0100', 'VALUE_LEADING_ZERO'],
    ['-1', 'VALUE_NOT_DIGITS'],
    ['+1', 'VALUE_NOT_DIGITS'],
    ['1.5', 'VALUE_NOT_DIGITS'],
    ['1e3', 'VALUE_NOT_DIGITS'],
    [' 1', 'VALUE_NOT_DIGITS'],
    ['1_000', 'VALUE_NOT_DIGITS'],
    ['１２', 'VALUE_NOT_DIGITS'], // full-width digits
    ['', 'VALUE_EMPTY'],
    ['12345678901234567890', 'VALUE_TOO_LONG'], // 20 digits
    ['9223372036854775808', 'VALUE_OUT_OF_RANGE'], // BIGINT max + 1
    ['9999999999999999999', 'VALUE_OUT_OF_RANGE'],
  ])('refuses value "%s" as %s, naming paymentAmount.value', (value, kind) => {
    const parsed = parseAmount({ currency: 'USD', value }, 'paymentAmount');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toBeInstanceOf(AmountError);
    expect(parsed.error.kind).toBe(kind);
    expect(parsed.error.field).toBe('paymentAmount.value');
    expect(parsed.error.code).toBe('PARAM_ILLEGAL');
  });

  it('refuses a value sent as a JSON number (every scalar is a string, §1)', () => {
    const parsed = parseAmount({ currency: 'USD', value: 100 }, 'payToAmount');
    expect(parsed.ok ? undefined : parsed.error.kind).toBe('VALUE_NOT_A_STRING');
  });

  it('answers CURRENCY_NOT_SUPPORT for a well-formed code that is not ISO 4217', () => {
    const parsed = parseAmount({ currency: 'ABC', value: '1' }, 'payToAmount');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatchObject({ kind: 'CURRENCY_UNKNOWN', field: 'payToAmount.currency', code: 'CURRENCY_NOT_SUPPORT' });
  });

  it.each([['usd'], ['US'], [''], [840], [undefined]])('answers PARAM_ILLEGAL for a malformed currency %j', (currency) => {
    const parsed = parseAmount({ currency, value: '1' }, 'order.orderAmount');
    expect(parsed.ok ? undefined : parsed.error).toMatchObject({ kind: 'CURRENCY_MALFORMED', field: 'order.orderAmount.currency', code: 'PARAM_ILLEGAL' });
  });

  it.each([[null], ['100'], [[]]])('refuses an amount that is not an object: %j', (input) => {
    const parsed = parseAmount(input, 'refundAmount');
    expect(parsed.ok ? undefined : parsed.error).toMatchObject({ kind: 'NOT_AN_OBJECT', field: 'refundAmount' });
  });

  it('throws the AmountError from requireAmount', () => {
    expect(() => requireAmount({ currency: 'JPY', value: '-1' }, 'paymentAmount')).toThrow(AmountError);
    expect(() => requireAmount({ currency: 'JPY', value: '-1' }, 'paymentAmount')).toThrow(/paymentAmount\.value/);
  });

  it('round-trips every storable value through the wire shape', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_VALUE_MINOR }), fc.constantFrom(...CURRENCY_CODES), (valueMinor, currency) => {
        const wire = formatMoney({ currency, valueMinor });
        expect(requireAmount(wire, 'x')).toEqual({ currency, valueMinor });
      }),
    );
  });
});

describe('formatting', () => {
  it.each([
    [m('USD', 1000n), '10.00'],
    [m('USD', 5n), '0.05'],
    [m('USD', 0n), '0.00'],
    [m('JPY', 100n), '100'],
    [m('KWD', 1234n), '1.234'],
    [m('CLF', 1n), '0.0001'],
    [m('USD', -150n), '-1.50'],
  ])('shows %o as %s', (amount, shown) => {
    expect(toMajorString(amount)).toBe(shown);
  });

  it('puts the minor value on the wire as a string', () => {
    expect(formatMoney(m('KRW', 1000n))).toEqual({ currency: 'KRW', value: '1000' });
  });

  it('refuses to put a negative amount on the wire', () => {
    expect(() => formatMoney(m('USD', -1n))).toThrow(RangeError);
  });
});

describe('arithmetic', () => {
  it('adds, subtracts and compares in one currency', () => {
    expect(addMoney(m('USD', 150n), m('USD', 50n))).toEqual(m('USD', 200n));
    expect(subtractMoney(m('USD', 150n), m('USD', 200n))).toEqual(m('USD', -50n));
    expect(compareMoney(m('USD', 1n), m('USD', 2n))).toBe(-1);
    expect(compareMoney(m('USD', 2n), m('USD', 2n))).toBe(0);
    expect(compareMoney(m('USD', 3n), m('USD', 2n))).toBe(1);
  });

  it('refuses to add, subtract or compare different currencies', () => {
    expect(() => addMoney(m('USD', 1n), m('JPY', 1n))).toThrow(CurrencyMismatchError);
    expect(() => subtractMoney(m('USD', 1n), m('JPY', 1n))).toThrow(CurrencyMismatchError);
    expect(() => compareMoney(m('USD', 1n), m('JPY', 1n))).toThrow(CurrencyMismatchError);
  });

  it('calls different currencies unequal without throwing', () => {
    expect(moneyEquals(m('USD', 1n), m('JPY', 1n))).toBe(false);
    expect(moneyEquals(m('USD', 1n), m('USD', 1n))).toBe(true);
  });

  it('knows what fits a BIGINT column', () => {
    expect(isStorable(m('USD', MAX_VALUE_MINOR))).toBe(true);
    expect(isStorable(m('USD', MAX_VALUE_MINOR + 1n))).toBe(false);
    expect(isStorable(m('USD', -1n))).toBe(false);
  });
});
