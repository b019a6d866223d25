/**
 * Kysely's view of the tables (snake_case, as in SQL). Rows are mapped to domain types in the
 * repositories before they leave this folder. int8 -> bigint, numeric -> string (database.ts).
 */
import type { ColumnType, Generated, JSONColumnType, Kysely, Transaction } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** A row read through left joins: any of its columns may be null. */
export type OrNull<T> = { [K in keyof T]: T[K] | null };

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

/**
 * The whole audit of a payment (view, migration 0041): its creation, read from the payments row
 * (pay stores no history row for it), and every change after it from payment_status_history.
 */
export interface PaymentStatusLogView {
  payment_id: ColumnType<string, never, never>;
  from_status: ColumnType<PaymentStatus | null, never, never>;
  to_status: ColumnType<PaymentStatus, never, never>;
  result_code: ColumnType<string, never, never>;
  reason: ColumnType<string, never, never>;
  changed_at: ColumnType<Date, never, never>;
}

/** §3 one authorization: an auth code exchanged. Revoking it ends its refresh token and every access token under it. */
export interface GrantsTable {
  id: string;
  customer_id: string;
  auth_code_hash: string | null;
  scopes: string[];
  refresh_token_hash: string;
  refresh_expires_at: Date;
  revoked_at: Date | null;
  created_at: CreatedAt;
  /** §3 revision 2 (migration 0042): the acquirerId the grant was issued for; recorded, not a gate. */
  acquirer_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** §3 revision 2 refresh rotation (migration 0042): one row per refresh token rotated away. */
export interface RefreshRotationsTable {
  old_refresh_token_hash: string;
  grant_id: string;
  nonce: string;
  access_token_hash: string;
  access_expires_at: Date;
  refresh_token_hash: string;
  refresh_expires_at: Date;
  grace_until: Date;
  created_at: Date;
}

export interface AccessTokensTable {
  token_hash: string;
  grant_id: string;
  expires_at: Date;
  created_at: CreatedAt;
}

export interface AuthCodesTable {
  code_hash: string;
  customer_id: string;
  scopes: string[];
  expires_at: Date;
  used_at: Date | null;
  created_at: CreatedAt;
}

export type LedgerAccountKind = 'CUSTOMER_WALLET' | 'SETTLEMENT' | 'FUNDING' | 'SURCHARGE';
export type LedgerTransferKind = 'TOP_UP' | 'PAYMENT' | 'REVERSAL' | 'REFUND';

export interface LedgerAccountsTable {
  id: Generated<bigint>;
  kind: LedgerAccountKind;
  customer_id: string | null;
  currency: string;
  balance_minor: ColumnType<bigint, bigint | undefined, bigint>;
  /** Which sub-account of a house account (migration 0045); always 0 for a wallet. */
  shard: ColumnType<number, number | undefined, never>;
  created_at: CreatedAt;
}

export interface LedgerTransfersTable {
  id: Generated<bigint>;
  kind: LedgerTransferKind;
  idempotency_key: string;
  reference: string;
  payment_id: string | null;
  created_at: CreatedAt;
}

export interface LedgerEntriesTable {
  id: Generated<bigint>;
  transfer_id: bigint;
  account_id: bigint;
  currency: string;
  amount_minor: bigint;
}

export interface NotifyOutboxTable {
  id: Generated<bigint>;
  payment_id: string;
  url: string | null;
  body: string;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  failed_at: Date | null;
  last_error: string | null;
  created_at: ColumnType<Date, Date, never>;
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
  pay_requests: PayRequestsTable;
  payment_status_history: PaymentStatusHistoryTable;
  payment_status_log: PaymentStatusLogView;
  grants: GrantsTable;
  access_tokens: AccessTokensTable;
  auth_codes: AuthCodesTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_transfers: LedgerTransfersTable;
  ledger_entries: LedgerEntriesTable;
  notify_outbox: NotifyOutboxTable;
  code_list_entries: CodeListEntriesTable;
  code_lists_version: CodeListsVersionTable;
  code_rule_sets: CodeRuleSetsTable;
  refunds: RefundsTable;
  agreements: AgreementsTable;
  refresh_rotations: RefreshRotationsTable;
  ops_top_ups: OpsTopUpsTable;
  expiry_sweep_floor: ExpirySweepFloorTable;
}

/** §4 expiry: the sweeper's floor, one row (migration 0047); see closeOverduePayments. */
export interface ExpirySweepFloorTable {
  singleton: Generated<boolean>;
  floor: Date;
}

export type UnbindState = 'CONSULT' | 'NOTIFY' | 'UNBOUND' | 'REFUSED';

/** §10 Auto Debit agreements and their unbinding outbox (migration 0030). */
export interface AgreementsTable {
  grant_id: string;
  customer_id: string;
  acquirer_id: string;
  auth_client_id: string;
  reference_merchant_id: string;
  access_token_sealed: string;
  created_at: Date;
  updated_at: Date;
  unbind_state: UnbindState | null;
  unbind_requested_at: Date | null;
  unbind_attempts: Generated<number>;
  unbind_next_attempt_at: Date | null;
  unbind_last_error: string | null;
}

/** Who topped up a wallet, and why (migration 0043). */
export interface OpsTopUpsTable {
  transfer_id: bigint;
  customer_id: string;
  currency: string;
  amount_minor: bigint;
  idempotency_key: string;
  actor: string;
  reason: string;
  created_at: Date;
}

/** §5 refund claims (migration 0007). */
export interface RefundsTable {
  id: string;
  psp_id: string;
  refund_request_id: string;
  payment_id: string;
  refund_minor: bigint;
  refund_from_minor: bigint;
  request_hash: string;
  answer: JSONColumnType<Record<string, unknown>>;
  created_at: Date;
}

/** What a repository function reads or writes through: the pool or a transaction. */
export type Db = Kysely<Database> | Transaction<Database>;
