/**
 * Wire shapes shared by the Alipay+ routes: exact Alipay+ field names, every scalar a string; and
 * the one rule for optional fields: absent or JSON null both mean "not given", "" is an error (§1).
 */
import { z } from 'zod';
import type { Money } from '../domain/money.ts';

export const idField = (max: number) => z.string().min(1).max(max);
export const pspId = idField(64);
export const acquirerId = idField(64);

/** The wire Amount of §2 (validated again by the domain's amount parser). */
export const wireAmount = z.object({
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 alpha-3'),
  value: z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'digits only, no sign or leading zeros, at most 19'),
});

/** §2 quote: "BASE/QUOTE" of two alpha-3 codes and a positive decimal price (fx.ts checks the rest). */
export const wireQuote = z.object({
  quoteId: z.string().min(1, 'must not be empty').max(64).optional(),
  quoteCurrencyPair: z.string().regex(/^[A-Z]{3}\/[A-Z]{3}$/, 'must be BASE/QUOTE, e.g. JPY/KRW'),
  quotePrice: z.string().regex(/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,16})?$/, 'a positive decimal, at most 16.16 digits'),
});

/** §2 surchargeInfo (pay and refund). */
export const wireSurchargeInfo = z.object({ surchargeAmount: wireAmount, surchargeQuote: wireQuote.optional() });

/** An optional wire field in a schema: absent or `null` both mean "not given" (Alipay+ sends either). */
export const optional = <S extends z.ZodType>(s: S) => s.nullish().transform((v) => v ?? undefined);

export function toWireAmount(m: Money): { currency: string; value: string } {
  return { currency: m.currency, value: m.valueMinor.toString() };
}

/**
 * The Alipay+ documentation allows an optional parameter to be sent as JSON null ("exclude it or
 * set it to null"): null members of objects are treated as absent. Not "" (§1: an error).
 */
export function withoutNulls(value: unknown): unknown {
  // Most bodies have no null at all: then the body itself, not a copy (a copy per request showed
  // in the pay profile).
  return containsNull(value) ? copyWithoutNulls(value) : value;
}

function containsNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsNull);
  for (const key in value as Record<string, unknown>) if (containsNull((value as Record<string, unknown>)[key])) return true;
  return false;
}

function copyWithoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyWithoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, copyWithoutNulls(v)]),
  );
}
