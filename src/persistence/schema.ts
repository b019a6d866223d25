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
  request_hash: string;
  customer_id: string;
  status: PaymentStatus;
  result_code: string;
  payment_currency: string;
  payment_minor: bigint;
  pay_to_currency: string;
  pay_to_minor: bigint;
  surcharge_currency: string | null;
  surcharge_minor: bigint | null;
  quote_id: string | null;
  quote_pair: string | null;
  quote_price: string | null;
  expires_at: Date;
  payment_time: Date | null;
  cashier_token_hash: string;
  request: JSONColumnType<Record<string, unknown>>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PaymentStatusHistoryTable {
  id: Generated<bigint>;
  payment_id: string;
  from_status: PaymentStatus | null;
  to_status: PaymentStatus;
  result_code: string;
  reason: string;
  changed_at: CreatedAt;
}

export interface CodeListEntriesTable {
  id: Generated<bigint>;
  kind: 'LOCAL' | 'ALLOWLIST' | 'BLOCKLIST';
  pattern_type: 'PREFIX' | 'REGEX';
  pattern: string;
  note: string | null;
  created_at: CreatedAt;
}

export interface CodeListsVersionTable {
  id: number;
  version: bigint;
}

export interface CodeRuleSetsTable {
  version: string;
  body: JSONColumnType<Record<string, unknown>>;
  fetched_at: Date;
}

export interface Database {
  customers: CustomersTable;
  payments: PaymentsTable;
  payment_status_history: PaymentStatusHistoryTable;
  code_list_entries: CodeListEntriesTable;
  code_lists_version: CodeListsVersionTable;
  code_rule_sets: CodeRuleSetsTable;
}
