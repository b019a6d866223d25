import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ResultCode } from '../domain/errors.ts';
import type { Payment } from '../domain/payments/payment.ts';
import type { CurrencyCode } from '../domain/money.ts';
import type { PaymentQueries } from '../domain/payments/ports.ts';
import type { Database, PaymentsTable } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export function toPayment(row: Selectable<PaymentsTable>): Payment {
  return {
    paymentId: row.id,
    pspId: row.psp_id,
    paymentRequestId: row.payment_request_id,
    customerId: row.customer_id,
    status: row.status,
    resultCode: row.result_code as ResultCode,
    paymentAmount: { currency: row.payment_currency.trim() as CurrencyCode, valueMinor: row.payment_minor },
    payToAmount: { currency: row.pay_to_currency.trim() as CurrencyCode, valueMinor: row.pay_to_minor },
    paymentTime: row.payment_time ?? undefined,
    expiresAt: row.expires_at,
    request: row.request,
  };
}

export function paymentQueries(db: Db): PaymentQueries {
  return {
    async findByRequestId(pspId, paymentRequestId) {
      const row = await db
        .selectFrom('payments')
        .selectAll()
        .where('psp_id', '=', pspId)
        .where('payment_request_id', '=', paymentRequestId)
        .executeTakeFirst();
      return row ? toPayment(row) : undefined;
    },
  };
}
