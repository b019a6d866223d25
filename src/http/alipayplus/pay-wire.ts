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
import { parseIsoInstant } from '../../alipayplus/wire-time.ts';
import { acquirerId, idField, pspId, wireAmount, wireQuote, wireSurchargeInfo } from '../../alipayplus/wire-schemas.ts';

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
  paymentQuote: wireQuote.optional(),
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
  surchargeInfo: wireSurchargeInfo.optional(),
  passThroughInfo: text(20_000).optional(),
}) satisfies z.ZodType<PayRequest>;
