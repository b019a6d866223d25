/** Pay request samples and helpers shared by the payment tests. */
import { randomBytes } from 'node:crypto';
import { seedPayRequest } from '../../src/simulator/seed-sample.ts';
import { TEST_ACQUIRER_ID, TEST_PSP_ID } from './harness.ts';

export const PAY_PATH = '/alipayplus/v1/payments/pay';
export const INQUIRY_PATH = '/alipayplus/v1/payments/inquiryPayment';

export const newRequestId = (prefix = 'PR') => `${prefix}${randomBytes(10).toString('hex')}`;

/** The seed's step 5 sample: a JPY 100 order paid in KRW 1000 at JPY/KRW 10.0000. */
export function seedPay(customerId: string, paymentRequestId = newRequestId()) {
  return seedPayRequest({
    pspId: TEST_PSP_ID,
    acquirerId: TEST_ACQUIRER_ID,
    paymentRequestId,
    customerId,
    paymentMethodId: '281006050000000000125733DAHJ0001',
  });
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

/** The cashier token at the end of a paymentUrl. */
export const tokenOf = (paymentUrl: string) => paymentUrl.slice(paymentUrl.lastIndexOf('/') + 1);

/** §2 revision 2 on the seed sample (JPY 100 -> KRW 1000 at 10.0000): the user pays KRW 1030 in all, at the surcharge rate 10.3. */
export const SEED_SURCHARGE = { surchargeAmount: { currency: 'KRW', value: '1030' }, surchargeQuote: { quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.3' } };
