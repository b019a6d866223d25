/** Pay request samples and helpers shared by the payment tests. */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { TEST_ACQUIRER_ID, TEST_APP_JWT_SECRET, TEST_PSP_ID } from './harness.ts';

export const PAY_PATH = '/alipayplus/v1/payments/pay';
export const INQUIRY_PATH = '/alipayplus/v1/payments/inquiryPayment';

export const newRequestId = (prefix = 'PR') => `${prefix}${randomBytes(10).toString('hex')}`;

/** The seed's step 5 sample: a JPY 100 order paid in KRW 1000 at JPY/KRW 10.0000. */
export function seedPay(customerId: string, paymentRequestId = newRequestId()) {
  return {
    order: {
      referenceOrderId: 'OrderID_0101010001',
      orderDescription: 'SHOES',
      orderAmount: { value: '100', currency: 'JPY' },
      merchant: {
        referenceMerchantId: 'M00000000001',
        merchantMCC: '1405',
        merchantName: 'UGG',
        merchantAddress: { region: 'JP', city: 'Tokyo' },
        store: { referenceStoreId: 'S0000000001', storeName: 'UGG-2', storeMCC: '1405' },
      },
    },
    acquirerId: TEST_ACQUIRER_ID,
    pspId: TEST_PSP_ID,
    paymentRequestId,
    paymentAmount: { value: '100', currency: 'JPY' },
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET' as const, paymentMethodId: '281006050000000000125733DAHJ0001', customerId },
    payToAmount: { value: '1000', currency: 'KRW' },
    paymentQuote: { quoteId: '1234567', quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.0000' },
    paymentFactor: { isInStorePayment: 'true' as const, isCashierPayment: 'true' as const },
  };
}

export type PayBody = ReturnType<typeof seedPay> & Record<string, unknown>;

/** A deep copy with `path` (dotted) set to `value`, or removed when `value` is undefined. */
export function withField<T>(body: T, path: string, value: unknown): T {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy as T;
}

export async function appJwt(customerId: string, now = new Date()): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(now.getTime() / 1000) + 600)
    .sign(new TextEncoder().encode(TEST_APP_JWT_SECRET));
}

/** The cashier token at the end of a paymentUrl. */
export const tokenOf = (paymentUrl: string) => paymentUrl.slice(paymentUrl.lastIndexOf('/') + 1);
