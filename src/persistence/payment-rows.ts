/** Payments rows <-> domain payments: the mappers every payments module reads with. */
import { type Selectable, sql } from 'kysely';
import { result, type ResultCode } from '../domain/errors.ts';
import type { CurrencyCode, Money } from '../domain/money.ts';
import type { CorePayment, FinalPayment, Payment, PaymentPromoInfo, StoredPayRequest } from '../domain/payments/payment.ts';
import type { StoredAnswer } from '../domain/payments/ports.ts';
import type { PaymentsTable } from './schema.ts';

export type PaymentRow = Selectable<PaymentsTable>;

/** The columns every payment answer starts from (toPayment and toFinalPayment map them alike). */
export type CoreRow = Pick<
  PaymentRow,
  | 'id'
  | 'psp_id'
  | 'payment_request_id'
  | 'customer_id'
  | 'status'
  | 'result_code'
  | 'payment_currency'
  | 'payment_minor'
  | 'pay_to_currency'
  | 'pay_to_minor'
  | 'payment_time'
>;

/** The columns of a FinalPayment: the two request fields notify needs, not the whole document. */
export interface FinalRow extends CoreRow {
  payment_notify_url: string | null;
  payment_promo_info: PaymentPromoInfo | null;
}

export const FINAL_COLUMNS = sql.raw(
  'id, psp_id, payment_request_id, customer_id, status, result_code, payment_currency, payment_minor, pay_to_currency, ' +
    "pay_to_minor, payment_time, request->>'paymentNotifyUrl' as payment_notify_url, request->'paymentPromoInfo' as payment_promo_info",
);

export const money = (currency: string, valueMinor: bigint): Money => ({ currency: currency.trim() as CurrencyCode, valueMinor });

export function toCore(row: CoreRow): CorePayment {
  return {
    paymentId: row.id,
    pspId: row.psp_id,
    paymentRequestId: row.payment_request_id,
    customerId: row.customer_id,
    status: row.status,
    resultCode: row.result_code as ResultCode,
    paymentAmount: money(row.payment_currency, BigInt(row.payment_minor)),
    payToAmount: money(row.pay_to_currency, BigInt(row.pay_to_minor)),
    paymentTime: row.payment_time ?? undefined,
  };
}

export function toPayment(row: PaymentRow): Payment {
  return {
    ...toCore(row),
    surchargeAmount: row.surcharge_currency !== null && row.surcharge_minor !== null ? money(row.surcharge_currency, BigInt(row.surcharge_minor)) : undefined,
    debitAmount: money(row.pay_to_currency, BigInt(row.debit_minor)),
    quote:
      row.quote_pair !== null && row.quote_price !== null
        ? { quoteId: row.quote_id ?? undefined, quoteCurrencyPair: row.quote_pair, quotePrice: row.quote_price }
        : undefined,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    request: row.request as unknown as StoredPayRequest,
  };
}

export function toFinalPayment(row: FinalRow): FinalPayment {
  return {
    ...toCore(row),
    paymentNotifyUrl: row.payment_notify_url ?? undefined,
    paymentPromoInfo: row.payment_promo_info ?? undefined,
  };
}

export const asDate = (d: Date) => d.toISOString();

export function toStoredAnswer(json: Record<string, unknown> | null): StoredAnswer {
  if (!json || typeof json.resultCode !== 'string') throw new Error('pay request without its answer');
  return {
    result: result(json.resultCode as ResultCode, typeof json.resultMessage === 'string' ? json.resultMessage : undefined),
    paymentUrl: typeof json.paymentUrl === 'string' ? json.paymentUrl : undefined,
  };
}
