/**
 * Money (§2): `{currency, valueMinor}` with `valueMinor` a bigint count of the currency's minor
 * unit. The minor unit (exponent) of every currency comes from the ISO 4217 table as shipped by
 * the `currency-codes` package (list one, see `ISO_4217_PUBLISHED`), never from a locale library.
 * No JavaScript `number` holds money here; exponents are small integers and may be numbers.
 */
import { data as iso4217Records, publishDate } from 'currency-codes';
import { DomainError, type ResultCode } from './errors.ts';

/** An ISO 4217 alpha-3 code known to the table; obtain one through `isCurrency`/`parseCurrency`. */
export type CurrencyCode = string & { readonly __brand: 'CurrencyCode' };

export type Money = { readonly currency: CurrencyCode; readonly valueMinor: bigint };

/** The wire shape (§2): every scalar is a string; `value` is in the minor unit. */
export type WireAmount = { currency: string; value: string };

/** Publication date of the ISO 4217 list the exponents come from. */
export const ISO_4217_PUBLISHED: string = publishDate;

/** Postgres BIGINT upper bound: every stored amount must fit. */
export const MAX_VALUE_MINOR = 9_223_372_036_854_775_807n;
/** Digits in MAX_VALUE_MINOR; a longer wire value is refused before it is turned into a bigint. */
export const MAX_VALUE_DIGITS = 19;

/**
 * ISO 4217 lists these with minor unit "N.A." (precious metals, bond-market units, SDR, Sucre,
 * ADB unit, testing code, "no currency"). `currency-codes` silently turns "N.A." into 0; we keep
 * 0 on purpose and say so here: an amount in one of them is a count of whole units.
 */
const NO_MINOR_UNIT = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

/** The largest exponent in ISO 4217 today (CLF, UYW). A bigger one means the data changed: stop. */
const MAX_EXPONENT = 4;

function buildExponentTable(): ReadonlyMap<string, number> {
  const table = new Map<string, number>();
  for (const record of iso4217Records) {
    const exponent = NO_MINOR_UNIT.has(record.code) ? 0 : record.digits;
    // Fail fast at load: a wrong exponent silently mis-scales every amount by a power of ten.
    if (!/^[A-Z]{3}$/.test(record.code) || !Number.isInteger(exponent) || exponent < 0 || exponent > MAX_EXPONENT) {
      throw new Error(`currency-codes: unexpected record ${record.code} digits=${String(record.digits)}`);
    }
    table.set(record.code, exponent);
  }
  return table;
}

const EXPONENTS = buildExponentTable();

/** Every active ISO 4217 code, sorted. */
export const CURRENCY_CODES: readonly CurrencyCode[] = Object.freeze([...EXPONENTS.keys()].sort() as CurrencyCode[]);

/** §2: true for every ISO 4217 alpha-3 code of the table (exact, upper case). */
export function isCurrency(code: string): code is CurrencyCode {
  return EXPONENTS.has(code);
}

/** §2: the number of decimals of the minor unit (JPY 0, USD 2, KWD 3, CLF 4). */
export function currencyExponent(code: CurrencyCode): number {
  const exponent = EXPONENTS.get(code);
  if (exponent === undefined) throw new Error(`not an ISO 4217 currency: ${code}`);
  return exponent;
}

// ---------------------------------------------------------------------------------------------
// Validation errors and results

export type AmountErrorKind =
  | 'NOT_AN_OBJECT' // the amount is not a {currency, value} object
  | 'CURRENCY_MALFORMED' // not a string of three upper-case letters
  | 'CURRENCY_UNKNOWN' // three letters, but not an ISO 4217 code
  | 'VALUE_NOT_A_STRING'
  | 'VALUE_EMPTY'
  | 'VALUE_NOT_DIGITS' // a sign, a decimal point, spaces, exponent notation...
  | 'VALUE_LEADING_ZERO'
  | 'VALUE_TOO_LONG' // more than 19 digits
  | 'VALUE_OUT_OF_RANGE'; // 19 digits above the BIGINT maximum

/**
 * A wire amount that cannot be accepted, naming the field path (e.g. `paymentAmount.value`).
 * An unknown (well-formed) currency is `CURRENCY_NOT_SUPPORT` (§4); any other defect is
 * `PARAM_ILLEGAL` (§1).
 */
export class AmountError extends DomainError {
  constructor(
    readonly field: string,
    readonly kind: AmountErrorKind,
    detail: string,
  ) {
    super(resultCodeOf(kind), `Illegal parameter ${field}: ${detail}`);
    this.name = 'AmountError';
  }
}

function resultCodeOf(kind: AmountErrorKind): ResultCode {
  return kind === 'CURRENCY_UNKNOWN' ? 'CURRENCY_NOT_SUPPORT' : 'PARAM_ILLEGAL';
}

export type ParseResult<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };
export type AmountResult = ParseResult<Money, AmountError>;
export type CurrencyResult = ParseResult<CurrencyCode, AmountError>;

const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
const fail = (field: string, kind: AmountErrorKind, detail: string) => ({ ok: false, error: new AmountError(field, kind, detail) }) as const;

/** A currency code as received: three upper-case letters of the ISO 4217 table (case-sensitive). */
export function parseCurrency(input: unknown, field: string): CurrencyResult {
  if (typeof input !== 'string' || !/^[A-Z]{3}$/.test(input)) {
    return fail(field, 'CURRENCY_MALFORMED', 'must be an ISO 4217 alpha-3 code');
  }
  if (!isCurrency(input)) return fail(field, 'CURRENCY_UNKNOWN', `${input} is not an ISO 4217 currency`);
  return ok(input);
}

/**
 * §2 wire value: digits only, no sign, no leading zero except "0" itself, at most 19 digits and
 * at most the Postgres BIGINT maximum. Zero is well-formed; whether zero is allowed is a use-case rule.
 */
export function parseValueMinor(input: unknown, field: string): ParseResult<bigint, AmountError> {
  if (typeof input !== 'string') return fail(field, 'VALUE_NOT_A_STRING', 'must be a string of digits');
  if (input === '') return fail(field, 'VALUE_EMPTY', 'must not be empty');
  if (!/^[0-9]+$/.test(input)) return fail(field, 'VALUE_NOT_DIGITS', 'must hold digits only');
  if (input.length > 1 && input.startsWith('0')) return fail(field, 'VALUE_LEADING_ZERO', 'must not start with 0');
  if (input.length > MAX_VALUE_DIGITS) return fail(field, 'VALUE_TOO_LONG', `at most ${MAX_VALUE_DIGITS} digits`);
  const value = BigInt(input);
  if (value > MAX_VALUE_MINOR) return fail(field, 'VALUE_OUT_OF_RANGE', `at most ${MAX_VALUE_MINOR}`);
  return ok(value);
}

/** §2: a wire `{currency, value}` at `field` (e.g. `paymentAmount`) to Money, or the first defect. */
export function parseAmount(input: unknown, field: string): AmountResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail(field, 'NOT_AN_OBJECT', 'must be an object {currency, value}');
  }
  const wire = input as { currency?: unknown; value?: unknown };
  const currency = parseCurrency(wire.currency, `${field}.currency`);
  if (!currency.ok) return currency;
  const valueMinor = parseValueMinor(wire.value, `${field}.value`);
  if (!valueMinor.ok) return valueMinor;
  return ok({ currency: currency.value, valueMinor: valueMinor.value });
}

/** Like `parseAmount`, throwing the AmountError. */
export function requireAmount(input: unknown, field: string): Money {
  const parsed = parseAmount(input, field);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

// ---------------------------------------------------------------------------------------------
// Construction, formatting and arithmetic

/** §2 wire shape. The wire has no sign: a negative amount is a bug upstream and is refused. */
export function formatMoney(m: Money): WireAmount {
  if (m.valueMinor < 0n) throw new RangeError(`negative amount cannot go on the wire: ${m.valueMinor}`);
  return { currency: m.currency, value: m.valueMinor.toString() };
}

/** Display in major units with exactly the currency's decimals: USD 1000 -> "10.00", JPY 100 -> "100". */
export function toMajorString(m: Money): string {
  const exponent = currencyExponent(m.currency);
  const sign = m.valueMinor < 0n ? '-' : '';
  const digits = (m.valueMinor < 0n ? -m.valueMinor : m.valueMinor).toString();
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** Arithmetic across currencies is always a bug: the caller must convert first (fx.ts). */
export class CurrencyMismatchError extends Error {
  constructor(
    readonly left: CurrencyCode,
    readonly right: CurrencyCode,
  ) {
    super(`currency mismatch: ${left} vs ${right}`);
    this.name = 'CurrencyMismatchError';
  }
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
}

export function addMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { currency: a.currency, valueMinor: a.valueMinor + b.valueMinor };
}

/** May go negative (e.g. "remaining refundable"); check before putting it on the wire. */
export function subtractMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { currency: a.currency, valueMinor: a.valueMinor - b.valueMinor };
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return a.valueMinor < b.valueMinor ? -1 : a.valueMinor > b.valueMinor ? 1 : 0;
}

/** Equal currency and value; different currencies are simply not equal (no throw). */
export function moneyEquals(a: Money, b: Money): boolean {
  return a.currency === b.currency && a.valueMinor === b.valueMinor;
}

/** Fits a Postgres BIGINT and can go on the wire (0..MAX_VALUE_MINOR). */
export function isStorable(m: Money): boolean {
  return m.valueMinor >= 0n && m.valueMinor <= MAX_VALUE_MINOR;
}
