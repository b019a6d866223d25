/**
 * §4 pay request on the wire: every field typed, every string bounded, booleans as the strings
 * "true"/"false", times ISO 8601 with an offset. Unknown members are dropped. A wrong, missing
 * or oversized field is F PARAM_ILLEGAL naming it (parseWire).
 *
 * Lengths: the Alipay+ documentation gives 64 for the ids (acquirerId, pspId, paymentRequestId,
 * referenceOrderId) and 256 for orderDescription; the others are our bounds, generous enough for
 * real traffic and small enough to keep a stored order bounded (our choice).
 */
import { z } from 'zod';
import type { PayRequest } from '../../domain/payments/payment.ts';
import { parseIsoInstant } from '../../domain/payments/pay.ts';
import { acquirerId, idField, pspId, wireAmount } from './wire.ts';

const text = (max: number) => z.string().min(1, 'must not be empty').max(max);
const wireBoolean = z.enum(['true', 'false']);

const isUrl = (protocols?: readonly string[]) => (s: string) => {
  try {
    const u = new URL(s);
    return protocols ? protocols.includes(u.protocol) : true;
  } catch {
    return false;
  }
};

/** ISO 8601 with an offset (§1), checked by the same parser the domain uses. */
const isoTime = z
  .string()
  .max(64)
  .refine((s) => parseIsoInstant(s) !== undefined, 'must be ISO 8601 with an offset, e.g. 2019-06-06T12:12:12+08:00');

/** §2 quote: "BASE/QUOTE" of two alpha-3 codes and a positive decimal price (fx.ts checks the rest). */
const quote = z.object({
  quoteId: text(64).optional(),
  quoteCurrencyPair: z.string().regex(/^[A-Z]{3}\/[A-Z]{3}$/, 'must be BASE/QUOTE, e.g. JPY/KRW'),
  quotePrice: z.string().regex(/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,16})?$/, 'a positive decimal, at most 16.16 digits'),
});

const env = z.object({
  terminalType: text(32).optional(),
  osType: text(32).optional(),
  osVersion: text(64).optional(),
  userAgent: text(1024).optional(),
  deviceTokenId: text(128).optional(),
  clientIp: text(64).optional(),
  cookieId: text(128).optional(),
  storeTerminalId: text(64).optional(),
  storeTerminalRequestTime: text(64).optional(),
  extendInfo: text(2048).optional(),
});

const order = z.object({
  referenceOrderId: idField(64),
  orderDescription: text(256),
  orderAmount: wireAmount,
  merchant: z.object({
    referenceMerchantId: idField(64),
    merchantMCC: text(32),
    merchantName: text(256),
    merchantDisplayName: text(256).optional(),
    merchantAddress: z.object({
      region: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2'),
      city: text(128),
    }),
    store: z.object({
      referenceStoreId: idField(64),
      storeName: text(256),
      storeMCC: text(32),
    }),
  }),
  env: env.optional(),
});

export const payBody = z.object({
  acquirerId,
  pspId,
  order,
  paymentRequestId: idField(64),
  paymentAmount: wireAmount,
  payToAmount: wireAmount,
  paymentMethod: z.object({
    paymentMethodType: z.literal('CONNECT_WALLET'),
    paymentMethodId: text(256),
    customerId: idField(64),
  }),
  paymentFactor: z.object({
    isInStorePayment: wireBoolean,
    isCashierPayment: wireBoolean,
    inStorePaymentScenario: z.enum(['PaymentCode', 'OrderCode', 'EntryCode']).optional(),
    isAgreementPayment: wireBoolean.optional(),
    needSurcharge: wireBoolean.optional(),
  }),
  paymentQuote: quote.optional(),
  paymentExpiryTime: isoTime.optional(),
  paymentNotifyUrl: z
    .string()
    .min(1)
    .max(2048)
    .refine(isUrl(['http:', 'https:']), 'must be an http(s) URL')
    .optional(),
  paymentRedirectUrl: z.string().min(1).max(2048).refine(isUrl(), 'must be a URL').optional(),
  paymentPromoInfo: z
    .object({
      paymentPromoDetails: z
        .array(
          z.object({
            promoId: idField(64),
            promoName: text(256).optional(),
            promoType: text(64).optional(),
            savingsAmount: wireAmount,
          }),
        )
        .min(1)
        .max(20),
    })
    .optional(),
  surchargeInfo: z.object({ surchargeAmount: wireAmount, surchargeQuote: quote.optional() }).optional(),
  passThroughInfo: text(20_000).optional(),
}) satisfies z.ZodType<PayRequest>;

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
