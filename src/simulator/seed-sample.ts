/**
 * The seed's sample (seed-accept-payments step 5, §7): merchant UGG in Tokyo, a JPY 100 order
 * paid as KRW 1000 at JPY/KRW 10.0000, merchant-presented. The one copy the simulator, the tests
 * and the bench build their pay requests from; each call returns fresh objects.
 */

/** The seed's order: SHOES at UGG (MCC 1405), Tokyo, store UGG-2; JPY 100 unless given. */
export function seedOrder(referenceOrderId: string, orderAmount = { value: '100', currency: 'JPY' }) {
  return {
    referenceOrderId,
    orderDescription: 'SHOES',
    orderAmount,
    merchant: {
      referenceMerchantId: 'M00000000001',
      merchantMCC: '1405',
      merchantName: 'UGG',
      merchantAddress: { region: 'JP', city: 'Tokyo' },
      store: { referenceStoreId: 'S0000000001', storeName: 'UGG-2', storeMCC: '1405' },
    },
  };
}

export interface SeedPayIds {
  readonly pspId: string;
  readonly acquirerId: string;
  readonly paymentRequestId: string;
  readonly customerId: string;
  readonly paymentMethodId: string;
  /** Default: the seed's `OrderID_0101010001`. */
  readonly referenceOrderId?: string;
  /** Default: the seed's `1234567`. */
  readonly quoteId?: string;
}

/** The seed's pay request with the given ids. */
export function seedPayRequest(ids: SeedPayIds) {
  return {
    order: seedOrder(ids.referenceOrderId ?? 'OrderID_0101010001'),
    acquirerId: ids.acquirerId,
    pspId: ids.pspId,
    paymentRequestId: ids.paymentRequestId,
    paymentAmount: { value: '100', currency: 'JPY' },
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET' as const, paymentMethodId: ids.paymentMethodId, customerId: ids.customerId },
    payToAmount: { value: '1000', currency: 'KRW' },
    paymentQuote: { quoteId: ids.quoteId ?? '1234567', quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.0000' },
    paymentFactor: { isInStorePayment: 'true' as const, isCashierPayment: 'true' as const },
  };
}
