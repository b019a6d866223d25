/** Pay request samples for §9 (payment code) and §10 (Auto Debit): the seed sample with their paymentFactor. */
import { newRequestId, seedPay, withField } from './payments.ts';

/** A user-presented payment-code pay: the merchant scanned the customer's code. */
export function codePay(customerId: string, paymentRequestId = newRequestId('PC')) {
  return withField(seedPay(customerId, paymentRequestId), 'paymentFactor', {
    isInStorePayment: 'true',
    isCashierPayment: 'false',
    inStorePaymentScenario: 'PaymentCode',
  });
}

/** An Auto Debit pay: paymentMethodId is the agreement's access token. */
export function agreementPay(customerId: string, accessToken: string, paymentRequestId = newRequestId('AD')) {
  const body = withField(seedPay(customerId, paymentRequestId), 'paymentFactor', { isInStorePayment: 'false', isCashierPayment: 'false', isAgreementPayment: 'true' });
  return withField(body, 'paymentMethod.paymentMethodId', accessToken);
}
