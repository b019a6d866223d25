/** §4 "which payment it is": paymentFactor decides between Auto Debit, a payment code and the cashier. */
import { describe, expect, it } from 'vitest';
import { payScenarioOf } from '../../../src/domain/payments/sync-pay.ts';

const factor = (f: Record<string, string>) => ({ paymentFactor: { isInStorePayment: 'true', isCashierPayment: 'false', ...f } as never });

describe('payScenarioOf', () => {
  it('isAgreementPayment "true" is Auto Debit, whatever else is set', () => {
    expect(payScenarioOf(factor({ isAgreementPayment: 'true' }))).toBe('AGREEMENT');
    expect(payScenarioOf(factor({ isAgreementPayment: 'true', inStorePaymentScenario: 'PaymentCode' }))).toBe('AGREEMENT');
  });

  it('inStorePaymentScenario "PaymentCode" is a user-presented payment code', () => {
    expect(payScenarioOf(factor({ inStorePaymentScenario: 'PaymentCode' }))).toBe('PAYMENT_CODE');
    expect(payScenarioOf(factor({ inStorePaymentScenario: 'PaymentCode', isAgreementPayment: 'false' }))).toBe('PAYMENT_CODE');
  });

  it('OrderCode, EntryCode, a cashier payment or none of these is the cashier flow', () => {
    expect(payScenarioOf(factor({ inStorePaymentScenario: 'OrderCode' }))).toBe('CASHIER');
    expect(payScenarioOf(factor({ inStorePaymentScenario: 'EntryCode' }))).toBe('CASHIER');
    expect(payScenarioOf(factor({ isCashierPayment: 'true' }))).toBe('CASHIER');
    expect(payScenarioOf(factor({}))).toBe('CASHIER');
  });
});
