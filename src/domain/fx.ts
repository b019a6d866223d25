/**
 * FX (§2): `payToAmount = paymentAmount x quotePrice`, computed in major units with big.js and
 * re-expressed in the pay-to currency's minor unit, with a named rounding mode. The same
 * conversion serves refunds at the payment's own rate (§5: refundFromAmount).
 */
import Big from 'big.js';
import { ParamIllegal } from './errors.ts';
import { currencyExponent, isCurrency, isStorable, toMajorString, type CurrencyCode, type Money } from './money.ts';

// ---------------------------------------------------------------------------------------------
// Rounding

/** §2 (our choice): ROUND_HALF_UP by default, configurable. Names map to big.js rounding modes. */
export const ROUNDING_MODES = {
  ROUND_DOWN: 0, // towards zero
  ROUND_HALF_UP: 1, // nearest, ties away from zero
  ROUND_HALF_EVEN: 2, // nearest, ties to even (banker's)
  ROUND_UP: 3, // away from zero
} as const satisfies Record<string, Big.RoundingMode>;

export type RoundingModeName = keyof typeof ROUNDING_MODES;
export const DEFAULT_ROUNDING: RoundingModeName = 'ROUND_HALF_UP';

export function isRoundingModeName(name: string): name is RoundingModeName {
  return Object.hasOwn(ROUNDING_MODES, name);
}

/**
 * A private big.js constructor: the global one is never reconfigured. Multiplication is exact;
 * division keeps 60 decimals, truncated. With prices of at most 32 digits and exponents of at
 * most 4, an exact quotient's distance to any rounding boundary (a multiple of half a minor unit)
 * is either 0 or at least 1/(2 x 10^32 x 10^4) = 5e-37 minor units, far above the truncation
 * error, so truncating and then rounding once gives the same result as rounding the exact value.
 */
const Dec = Big();
Dec.DP = 60;
Dec.RM = ROUNDING_MODES.ROUND_DOWN;
Dec.strict = true; // a JavaScript number never enters a decimal

// ---------------------------------------------------------------------------------------------
// Quotes

/** The wire `paymentQuote` / `refundQuote`: `quoteCurrencyPair` is "BASE/QUOTE". */
export type Quote = { quoteId?: string; quoteCurrencyPair: string; quotePrice: string };

/** A parsed quote: 1 BASE = price QUOTE. */
export type ParsedQuote = { readonly base: CurrencyCode; readonly quote: CurrencyCode; readonly price: Big };

export type FxErrorKind =
  | 'QUOTE_MISSING' // currencies differ and no quote came
  | 'PAIR_MALFORMED' // not "AAA/BBB" of two different ISO 4217 codes
  | 'PAIR_MISMATCH' // the pair does not name both currencies of the conversion
  | 'PRICE_INVALID' // not a positive decimal string within bounds
  | 'RESULT_OUT_OF_RANGE' // the converted amount does not fit a BIGINT
  | 'AMOUNT_MISMATCH'; // a received amount differs from ours beyond the tolerance

/** Every FX defect is `F PARAM_ILLEGAL` (§2), naming the field. */
export class FxError extends ParamIllegal {
  constructor(
    field: string,
    readonly kind: FxErrorKind,
    detail: string,
  ) {
    super(field, detail);
    this.name = 'FxError';
  }
}

/** Bounds of `quotePrice`: at most 16 integer digits and 16 decimals (so at most 32 digits). */
const PRICE_PATTERN = /^(0|[1-9][0-9]{0,15})(\.[0-9]{1,16})?$/;

/** §2: the pair "BASE/QUOTE" and a positive decimal price; `field` is the quote's path. */
export function parseQuote(input: Quote, field = 'paymentQuote'): ParsedQuote {
  const pair = /^([A-Z]{3})\/([A-Z]{3})$/.exec(input.quoteCurrencyPair);
  const [base, quote] = [pair?.[1] ?? '', pair?.[2] ?? ''];
  if (!isCurrency(base) || !isCurrency(quote) || base === quote) {
    throw new FxError(`${field}.quoteCurrencyPair`, 'PAIR_MALFORMED', 'must be BASE/QUOTE, two different ISO 4217 codes');
  }
  if (!PRICE_PATTERN.test(input.quotePrice) || /^0(\.0*)?$/.test(input.quotePrice)) {
    throw new FxError(`${field}.quotePrice`, 'PRICE_INVALID', 'must be a positive decimal, at most 16.16 digits');
  }
  return { base, quote, price: new Dec(input.quotePrice) };
}

// ---------------------------------------------------------------------------------------------
// Conversion

/** Major units as an exact decimal: USD 1050 -> 10.50. */
function toMajor(m: Money): Big {
  return new Dec(toMajorString(m));
}

/** The exact (unrounded) conversion in major units of `target`, or which side of the pair failed. */
function exactConvertedMajor(amount: Money, quote: ParsedQuote, target: CurrencyCode, field: string): Big {
  // §2: 1 BASE = price QUOTE, so BASE -> QUOTE multiplies
  if (amount.currency === quote.base && target === quote.quote) return toMajor(amount).times(quote.price);
  // §2: pair in either order: when the target is the BASE, divide instead of multiply
  if (amount.currency === quote.quote && target === quote.base) return toMajor(amount).div(quote.price);
  throw new FxError(`${field}.quoteCurrencyPair`, 'PAIR_MISMATCH', `${quote.base}/${quote.quote} does not convert ${amount.currency} to ${target}`);
}

/** Re-express major units in `currency`'s minor unit, rounding once with the named mode. */
function toMinor(major: Big, currency: CurrencyCode, rounding: RoundingModeName): bigint {
  const scaled = major.times(new Dec(`1e${currencyExponent(currency)}`));
  return BigInt(scaled.round(0, ROUNDING_MODES[rounding]).toFixed(0));
}

/**
 * Convert `amount` into `target` at `quote` (§2 pay-to amount, §5 refund at the payment's own
 * rate). Throws FxError when the pair does not fit or the result does not fit a BIGINT.
 */
export function convert(amount: Money, quote: Quote | ParsedQuote, target: CurrencyCode, rounding: RoundingModeName = DEFAULT_ROUNDING, field = 'paymentQuote'): Money {
  const parsed = 'price' in quote ? quote : parseQuote(quote, field);
  const valueMinor = toMinor(exactConvertedMajor(amount, parsed, target, field), target, rounding);
  const converted: Money = { currency: target, valueMinor };
  if (!isStorable(converted)) throw new FxError(field, 'RESULT_OUT_OF_RANGE', 'converted amount exceeds the BIGINT range');
  return converted;
}

/** §2: the pay-to amount we expect; same currency -> the payment amount itself. */
export function expectedPayToAmount(paymentAmount: Money, payToCurrency: CurrencyCode, quote: Quote | undefined, rounding: RoundingModeName = DEFAULT_ROUNDING): Money {
  if (paymentAmount.currency === payToCurrency) return paymentAmount;
  if (quote === undefined) throw new FxError('paymentQuote', 'QUOTE_MISSING', 'required when the currencies differ');
  return convert(paymentAmount, quote, payToCurrency, rounding, 'paymentQuote');
}

// ---------------------------------------------------------------------------------------------
// Checking a received payToAmount

export type PayToCheckInput = {
  paymentAmount: Money;
  payToAmount: Money;
  quote?: Quote | undefined;
  rounding?: RoundingModeName;
  /** Accepted distance between ours and theirs, in the pay-to minor unit (§2, default 0). */
  toleranceMinor?: bigint;
};

export type PayToCheck =
  | { readonly ok: true; readonly expected: Money }
  | {
      readonly ok: false;
      readonly kind: 'MISMATCH';
      readonly expected: Money;
      readonly received: Money;
      readonly differenceMinor: bigint; // received - expected
      readonly error: FxError;
    }
  | { readonly ok: false; readonly kind: 'INVALID'; readonly error: FxError };

/**
 * §2: a received payToAmount is consistent when it is within `toleranceMinor` of ours.
 * Same currency (no quote needed, any quote ignored): the amounts must be equal exactly.
 */
export function checkPayToAmount(input: PayToCheckInput): PayToCheck {
  const { paymentAmount, payToAmount, quote } = input;
  const sameCurrency = paymentAmount.currency === payToAmount.currency;
  const tolerance = sameCurrency ? 0n : (input.toleranceMinor ?? 0n);
  if (tolerance < 0n) throw new RangeError('toleranceMinor must not be negative');
  let expected: Money;
  try {
    expected = expectedPayToAmount(paymentAmount, payToAmount.currency, quote, input.rounding ?? DEFAULT_ROUNDING);
  } catch (error) {
    if (error instanceof FxError) return { ok: false, kind: 'INVALID', error };
    throw error;
  }
  const differenceMinor = payToAmount.valueMinor - expected.valueMinor;
  if ((differenceMinor < 0n ? -differenceMinor : differenceMinor) <= tolerance) return { ok: true, expected };
  const detail = `expected ${expected.valueMinor} ${expected.currency}, got ${payToAmount.valueMinor}`;
  const error = new FxError('payToAmount.value', 'AMOUNT_MISMATCH', detail);
  return { ok: false, kind: 'MISMATCH', expected, received: payToAmount, differenceMinor, error };
}
