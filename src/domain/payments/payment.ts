/** A payment as the domain sees it, and the pay request it was created from (wire names, §4). */
import type { ResultCode } from '../errors.ts';
import type { Quote } from '../fx.ts';
import type { Money, WireAmount } from '../money.ts';

export type PaymentStatus = 'PROCESSING' | 'SUCCESS' | 'FAILED' | 'CLOSED' | 'CANCELLED';

export type WireBoolean = 'true' | 'false';

export interface PayOrder {
  readonly referenceOrderId: string;
  readonly orderDescription: string;
  readonly orderAmount: WireAmount;
  readonly merchant: {
    readonly referenceMerchantId: string;
    readonly merchantMCC: string;
    readonly merchantName: string;
    readonly merchantDisplayName?: string | undefined;
    readonly merchantAddress: { readonly region: string; readonly city?: string | undefined };
    /** Optional on the official pay page (§4 revision 2). */
    readonly store?: { readonly referenceStoreId: string; readonly storeName: string; readonly storeMCC: string } | undefined;
  };
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface PaymentPromoInfo {
  readonly paymentPromoDetails: readonly {
    readonly promoId: string;
    readonly promoName?: string | undefined;
    readonly promoType?: string | undefined;
    readonly savingsAmount: WireAmount;
  }[];
}

export interface SurchargeInfo {
  readonly surchargeAmount: WireAmount;
  readonly surchargeQuote?: Quote | undefined;
}

/** The §4 pay request, validated (every field bounded), exact Alipay+ names. */
export interface PayRequest {
  readonly acquirerId: string;
  readonly pspId: string;
  readonly order: PayOrder;
  readonly paymentRequestId: string;
  readonly paymentAmount: WireAmount;
  readonly payToAmount: WireAmount;
  readonly paymentMethod: { readonly paymentMethodType: 'CONNECT_WALLET'; readonly paymentMethodId: string; readonly customerId: string };
  readonly paymentFactor: {
    readonly isInStorePayment?: WireBoolean | undefined;
    readonly isCashierPayment?: WireBoolean | undefined;
    readonly inStorePaymentScenario?: 'PaymentCode' | 'OrderCode' | 'EntryCode' | undefined;
    readonly isAgreementPayment?: WireBoolean | undefined;
    readonly needSurcharge?: WireBoolean | undefined;
  };
  readonly paymentQuote?: Quote | undefined;
  readonly paymentExpiryTime?: string | undefined;
  readonly paymentNotifyUrl?: string | undefined;
  readonly paymentRedirectUrl?: string | undefined;
  readonly paymentPromoInfo?: PaymentPromoInfo | undefined;
  readonly surchargeInfo?: SurchargeInfo | undefined;
  readonly passThroughInfo?: string | undefined;
  /** Carried and stored, not interpreted (official pay page: optional). */
  readonly settlementStrategy?: { readonly settlementCurrency?: string | undefined } | undefined;
}

/**
 * The request as stored with the order (jsonb): everything received, except that
 * `paymentMethod.paymentMethodId` (in cashier payments the access token Alipay+ got from
 * applyToken) is kept only as its SHA-256, like every token (§3).
 */
export type StoredPayRequest = Omit<PayRequest, 'paymentMethod'> & {
  readonly paymentMethod: { readonly paymentMethodType: 'CONNECT_WALLET'; readonly paymentMethodIdSha256: string; readonly customerId: string };
};

export interface StoredQuote {
  readonly quoteId?: string | undefined;
  readonly quoteCurrencyPair: string;
  readonly quotePrice: string;
}

export interface Payment {
  readonly paymentId: string;
  readonly pspId: string;
  readonly paymentRequestId: string;
  readonly customerId: string;
  readonly status: PaymentStatus;
  /** The result the payment carries now: PAYMENT_IN_PROCESS, SUCCESS or the failure reason. */
  readonly resultCode: ResultCode;
  readonly paymentAmount: Money;
  readonly payToAmount: Money;
  /** surchargeInfo.surchargeAmount as received (§2: the whole amount the user pays), when there is one. */
  readonly surchargeAmount: Money | undefined;
  /** What the user pays from the wallet: surchargeAmount when there is one (§2 revision 2), else payToAmount. */
  readonly debitAmount: Money;
  readonly quote: StoredQuote | undefined;
  readonly paymentTime: Date | undefined;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly request: StoredPayRequest;
}

/** What identifies a payment and its amounts and status: shared by Payment and FinalPayment. */
export type CorePayment = Pick<
  Payment,
  'paymentId' | 'pspId' | 'paymentRequestId' | 'customerId' | 'status' | 'resultCode' | 'paymentAmount' | 'payToAmount' | 'paymentTime'
>;

/**
 * What a payment that has just become final tells the final hook (the notify outbox, §5): exactly
 * what notifyPayment needs, and not the whole stored request (the sweeper closes thousands at a
 * time; shipping every request document back costs more than the close itself).
 */
export interface FinalPayment extends CorePayment {
  readonly paymentNotifyUrl: string | undefined;
  readonly paymentPromoInfo: PaymentPromoInfo | undefined;
}

export function finalPaymentOf(p: Payment): FinalPayment {
  return {
    paymentId: p.paymentId,
    pspId: p.pspId,
    paymentRequestId: p.paymentRequestId,
    customerId: p.customerId,
    status: p.status,
    resultCode: p.resultCode,
    paymentAmount: p.paymentAmount,
    payToAmount: p.payToAmount,
    paymentTime: p.paymentTime,
    paymentNotifyUrl: p.request.paymentNotifyUrl,
    paymentPromoInfo: p.request.paymentPromoInfo,
  };
}

/** An order past its expiry that nobody closed yet is closed for everyone (§4 expiry). */
export function isOverdue(p: Pick<Payment, 'status' | 'expiresAt'>, now: Date): boolean {
  return p.status === 'PROCESSING' && p.expiresAt.getTime() <= now.getTime();
}
