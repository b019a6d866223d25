/** The simulator's §8 order codes: what a code carries, and what its userInitiatedPay answers for it. */
import { describe, expect, it } from 'vitest';
import { decodeOrderCode, issueOrderCode, ORDER_CODE_PREFIX, paymentRequestIdOf, readOrderCode } from '../../src/simulator/order-codes.ts';

const ctx = (now = new Date()) => ({ pspId: 'PSP', acquirerId: 'ACQ', now, notifyPaymentUrl: 'http://sim/aps/api/v1/payments/notifyPayment' });

describe('simulator order codes', () => {
  it('a code carries its scenario, fits userInitiatedPay (<= 512) and names one paymentRequestId', () => {
    const code = issueOrderCode({ scenario: 'promo', sdk: true });
    expect(code.startsWith(ORDER_CODE_PREFIX)).toBe(true);
    expect(code.length).toBeLessThanOrEqual(512);
    expect(readOrderCode(code)).toMatchObject({ scenario: 'promo', sdk: true, validSeconds: 600 });
    expect(paymentRequestIdOf(code)).toBe(paymentRequestIdOf(code));
    expect(paymentRequestIdOf(code)).not.toBe(paymentRequestIdOf(issueOrderCode({ scenario: 'promo' })));
    expect(paymentRequestIdOf(code).length).toBeLessThanOrEqual(64);
  });

  it('decodes into the scenario order without paymentMethod, with the SDK action when asked', () => {
    const code = issueOrderCode({ scenario: 'fx', sdk: true, notifyUrl: true });
    const out = decodeOrderCode(code, 'alice', ctx());
    if (!out.ok) throw new Error(out.resultMessage);
    expect(out.order).toMatchObject({
      pspId: 'PSP',
      acquirerId: 'ACQ',
      codeType: 'ORDER_CODE',
      paymentRequestId: paymentRequestIdOf(code),
      paymentAmount: { currency: 'JPY', value: '100' },
      payToAmount: { currency: 'KRW', value: '1000' },
      paymentQuote: { quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.0000' },
      paymentNotifyUrl: 'http://sim/aps/api/v1/payments/notifyPayment',
      actionForm: { actionType: 'HANDLE_BY_SDK' },
    });
    expect(out.order.paymentMethod).toBeUndefined();
  });

  it('refuses a code it did not issue (F INVALID_CODE) and an expired one (F EXPIRED_CODE)', () => {
    expect(decodeOrderCode('https://qr.alipayplus.com/28166613000000123456', 'alice', ctx())).toMatchObject({ ok: false, resultCode: 'INVALID_CODE' });
    expect(decodeOrderCode(`${ORDER_CODE_PREFIX}not-json`, 'alice', ctx())).toMatchObject({ ok: false, resultCode: 'INVALID_CODE' });
    const code = issueOrderCode({ validSeconds: 60 });
    expect(decodeOrderCode(code, 'alice', ctx(new Date(Date.now() + 61_000)))).toMatchObject({ ok: false, resultCode: 'EXPIRED_CODE' });
  });
});
