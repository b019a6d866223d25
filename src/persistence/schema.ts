/**
 * Kysely's view of the tables (snake_case, as in SQL). Rows are mapped to domain types in the
 * repositories before they leave this folder. int8 -> bigint, numeric -> string (database.ts).
 */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export interface CustomersTable {
  id: string;
  status: 'NORMAL' | 'FROZEN';
  currency: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type PaymentStatus = 'PROCESSING' | 'SUCCESS' | 'FAILED' | 'CLOSED' | 'CANCELLED';

export interface PaymentsTable {
  id: string;
  psp_id: string;
  payment_request_id: string;
  customer_id: string;
  status: PaymentStatus;
  result_code: string;
  payment_currency: string;
  payment_minor: bigint;
  pay_to_currency: string;
  pay_to_minor: bigint;
  surcharge_currency: string | null;
  surcharge_minor: bigint | null;
  debit_minor: bigint;
  quote_id: string | null;
  quote_pair: string | null;
  quote_price: string | null;
  expires_at: Date;
  payment_time: Date | null;
  cashier_token_hash: string;
  request: JSONColumnType<Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string, never>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

/** §4 idempotency keys of pay: the first answer, replayed for a repeat with the same key fields. */
export interface PayRequestsTable {
  psp_id: string;
  payment_request_id: string;
  request_hash: string;
  payment_id: string | null;
  answer: JSONColumnType<Record<string, unknown> | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | string, never>;
}

export interface PaymentStatusHistoryTable {
  payment_id: string;
  from_status: PaymentStatus | null;
  to_status: PaymentStatus;
  result_code: string;
  reason: string;
  changed_at: ColumnType<Date, Date | string, never>;
}

export interface Database {
  customers: CustomersTable;
  payments: PaymentsTable;
  pay_requests: PayRequestsTable;
  payment_status_history: PaymentStatusHistoryTable;
}
