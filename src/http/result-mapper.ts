/**
 * THE one mapper from errors to `{resultCode, resultStatus, resultMessage}`. Domain errors carry a
 * catalog code; anything else is `U UNKNOWN_EXCEPTION` and its message never leaks.
 */
import { DependencyUnavailable, DomainError, type Result, result } from '../domain/errors.ts';

export interface MappedError {
  readonly result: Result;
  /** True when the error was not one the domain names: log it with its stack. */
  readonly unexpected: boolean;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: unknown;
}

export function mapError(err: unknown): MappedError {
  if (err instanceof DomainError) return { result: result(err.code, err.message), unexpected: false };
  if (err instanceof DependencyUnavailable) {
    return { result: result('UNKNOWN_EXCEPTION', `${err.dependency} is unavailable; retry later`), unexpected: false };
  }
  const f = (err ?? {}) as FastifyLikeError;
  // Fastify's own refusals of the transport (too large, bad content) are malformed requests.
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { result: result('PARAM_ILLEGAL', 'Request body is too large'), unexpected: false };
  if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || f.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || f.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { result: result('PARAM_ILLEGAL', 'Request body is not valid JSON'), unexpected: false };
  }
  // A handler past HANDLER_TIMEOUT_MS (a slow dependency): the outcome is unknown, the caller retries (§1).
  if (f.code === 'FST_ERR_HANDLER_TIMEOUT') {
    return { result: result('UNKNOWN_EXCEPTION', 'The request took too long; retry later'), unexpected: false };
  }
  if (f.validation) return { result: result('PARAM_ILLEGAL'), unexpected: false };
  return { result: result('UNKNOWN_EXCEPTION'), unexpected: true };
}

/** HTTP status for the app and ops routes, which use 4xx/5xx (Alipay+ routes always answer 200). */
export function httpStatusFor(r: Result, err?: unknown): number {
  const f = (err ?? {}) as FastifyLikeError;
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) return f.statusCode;
  if (r.resultStatus === 'U') return r.resultCode === 'UNKNOWN_EXCEPTION' ? 503 : 202;
  switch (r.resultCode) {
    case 'USER_NOT_EXIST':
    case 'ORDER_NOT_EXIST':
    case 'AGREEMENT_NOT_EXIST':
      return 404;
    case 'ACCESS_DENIED':
      return 403;
    case 'REPEAT_REQ_INCONSISTENT':
      return 409;
    default:
      return r.resultStatus === 'S' ? 200 : 400;
  }
}
