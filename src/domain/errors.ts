/**
 * The one error catalog. Every result code the service can answer lives here, with the
 * `resultStatus` it carries and its default `resultMessage`. Domain code throws (or returns)
 * DomainError with one of these codes; the HTTP layer's one mapper turns it into
 * `{resultCode, resultStatus, resultMessage}`. Because RESULT_CATALOG is typed as a total record
 * over ResultCode, the compiler proves that nothing is unmapped.
 */

export type ResultStatus = 'S' | 'F' | 'U';

export const RESULT_CATALOG = {
  // success and in-flight
  SUCCESS: { status: 'S', message: 'Success' },
  PAYMENT_IN_PROCESS: { status: 'U', message: 'Payment is in process' },
  UNKNOWN_EXCEPTION: { status: 'U', message: 'Unknown exception; retry later' },
  SYSTEM_BUSY: { status: 'U', message: 'System busy; retry later' },

  // §1 envelope
  INVALID_SIGNATURE: { status: 'F', message: 'Signature is invalid' },
  INVALID_CLIENT: { status: 'F', message: 'Client-Id is unknown' },
  KEY_NOT_FOUND: { status: 'F', message: 'keyVersion is unknown' },
  PARAM_ILLEGAL: { status: 'F', message: 'Illegal parameters' },
  ACCESS_DENIED: { status: 'F', message: 'Access denied' },

  // §3 tokens
  INVALID_CODE: { status: 'F', message: 'Auth code is invalid' },
  USED_CODE: { status: 'F', message: 'Auth code has been used' },
  EXPIRED_CODE: { status: 'F', message: 'Auth code has expired' },
  INVALID_REFRESH_TOKEN: { status: 'F', message: 'Refresh token is invalid' },
  EXPIRED_REFRESH_TOKEN: { status: 'F', message: 'Refresh token has expired' },
  INVALID_TOKEN: { status: 'F', message: 'Access token is invalid' },
  EXPIRED_ACCESS_TOKEN: { status: 'F', message: 'Access token has expired' },
  // §10 the app's agreements (our code: no Alipay+ API answers it)
  AGREEMENT_NOT_EXIST: { status: 'F', message: 'Agreement does not exist' },

  // §4 pay
  USER_NOT_EXIST: { status: 'F', message: 'User does not exist' },
  USER_STATUS_ABNORMAL: { status: 'F', message: 'User status is abnormal' },
  CURRENCY_NOT_SUPPORT: { status: 'F', message: 'Currency is not supported' },
  PAYMENT_AMOUNT_EXCEED_LIMIT: { status: 'F', message: 'Payment amount exceeds the limit' },
  ORDER_IS_CLOSED: { status: 'F', message: 'Order is closed' },
  REPEAT_REQ_INCONSISTENT: { status: 'F', message: 'Repeated request is inconsistent with the first' },
  USER_BALANCE_NOT_ENOUGH: { status: 'F', message: 'User balance is not enough' },
  USER_AMOUNT_EXCEED_LIMIT: { status: 'F', message: 'User amount exceeds the limit' },

  // §5 after pay
  ORDER_NOT_EXIST: { status: 'F', message: 'Order does not exist' },
  ORDER_STATUS_INVALID: { status: 'F', message: 'Order status is invalid for this operation' },
  CANCEL_WINDOW_EXCEED: { status: 'F', message: 'Cancel window exceeded' },
  REFUND_AMOUNT_EXCEED: { status: 'F', message: 'Refund amount exceeds what was paid' },
  REFUND_WINDOW_EXCEED: { status: 'F', message: 'Refund window exceeded' },
} as const satisfies Record<string, { status: ResultStatus; message: string }>;

export type ResultCode = keyof typeof RESULT_CATALOG;

export interface Result {
  readonly resultCode: ResultCode;
  readonly resultStatus: ResultStatus;
  readonly resultMessage: string;
}

/** A failure the contract names. `message` may add detail (e.g. the illegal field) and is shown. */
export class DomainError extends Error {
  constructor(
    readonly code: ResultCode,
    message?: string,
  ) {
    super(message ?? RESULT_CATALOG[code].message);
    this.name = 'DomainError';
  }
}

/** Malformed input, naming the field: always F PARAM_ILLEGAL. */
export class ParamIllegal extends DomainError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super('PARAM_ILLEGAL', `Illegal parameter ${field}: ${reason}`);
    this.name = 'ParamIllegal';
  }
}

/** A dependency (database, Redis, Alipay+) failed or was too slow: the caller must retry, never a wrong S or F. */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: string,
    cause?: unknown,
  ) {
    super(`${dependency} unavailable`, { cause });
    this.name = 'DependencyUnavailable';
  }
}

export function result(code: ResultCode, message?: string): Result {
  const entry = RESULT_CATALOG[code];
  return { resultCode: code, resultStatus: entry.status, resultMessage: message ?? entry.message };
}
