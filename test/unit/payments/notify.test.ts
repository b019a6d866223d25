import { describe, expect, it } from 'vitest';
import type { CurrencyCode } from '../../../src/domain/money.ts';
import { buildNotifyPaymentBody, type NotifyPaymentView } from '../../../src/domain/payments/notify.ts';
import { DEFAULT_RETRY, retryDelayMs } from '../../../src/jobs/notify-dispatcher.ts';

const jpy = (v: bigint) => ({ currency: 'JPY' as CurrencyCode, valueMinor: v });
const krw = (v: bigint) => ({ currency: 'KRW' as CurrencyCode, valueMinor: v });

const paid: NotifyPaymentView = {
  paymentId: 'P1',
  paymentRequestId: 'R1',
  customerId: 'C1',
  resultCode: 'SUCCESS',
  paymentAmount: jpy(100n),
  payToAmount: krw(1000n),
  paymentTime: new Date('2025-01-01T03:01:01Z'),
};

describe('notifyPayment body (§5)', () => {
  it('carries the result, ids, amounts as strings and paymentTime with an offset on success', () => {
    expect(buildNotifyPaymentBody(paid)).toEqual({
      paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' },
      paymentRequestId: 'R1',
      paymentId: 'P1',
      paymentTime: '2025-01-01T03:01:01+00:00',
      paymentAmount: { currency: 'JPY', value: '100' },
      payToAmount: { currency: 'KRW', value: '1000' },
      customerId: 'C1',
    });
  });

  it('omits paymentTime on a failure and carries paymentPromoInfo as received', () => {
    const promo = { paymentPromoDetails: [{ promoId: 'X', savingsAmount: { currency: 'JPY', value: '10' } }] };
    const body = buildNotifyPaymentBody({ ...paid, resultCode: 'ORDER_IS_CLOSED', paymentTime: undefined, paymentPromoInfo: promo });
    expect(body.paymentResult).toEqual({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F', resultMessage: 'Order is closed' });
    expect(body).not.toHaveProperty('paymentTime');
    expect(body.paymentPromoInfo).toEqual(promo);
  });

  it('is never built for an in-flight result or a success without a time', () => {
    expect(() => buildNotifyPaymentBody({ ...paid, resultCode: 'PAYMENT_IN_PROCESS' })).toThrow(RangeError);
    expect(() => buildNotifyPaymentBody({ ...paid, paymentTime: undefined })).toThrow(RangeError);
  });
});

describe('notify retry schedule', () => {
  it('doubles the ceiling from 5 s per attempt up to the 10 minute cap, with full jitter', () => {
    const max = () => 0.999999;
    expect(retryDelayMs(1, max)).toBe(4_999);
    expect(retryDelayMs(2, max)).toBe(9_999);
    expect(retryDelayMs(8, max)).toBe(DEFAULT_RETRY.maxDelayMs - 1);
    expect(retryDelayMs(500, max)).toBe(DEFAULT_RETRY.maxDelayMs - 1);
    expect(retryDelayMs(3, () => 0)).toBe(1_000); // the floor
  });
});
