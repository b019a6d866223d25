/** Wire shapes shared by the Alipay+ routes: exact Alipay+ field names, every scalar a string. */
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

export function toWireAmount(m: Money): { currency: string; value: string } {
  return { currency: m.currency, value: m.valueMinor.toString() };
}
