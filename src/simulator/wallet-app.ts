/**
 * The two other callers a sandbox run needs besides Alipay+, kept apart from the signed client:
 * the wallet app (an app JWT for a customer -> `POST /app/v1/authCodes`, seed step 1.1) and
 * ops (`POST /ops/v1/customers`, `.../topUps`). Names and bodies are service-interface.md's.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Transport } from './client.ts';
import { type Printer, silentPrinter } from './print.ts';

export interface PlainCallResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A short-lived app JWT for `customerId` (HS256, `sub` = customerId), as the wallet's login would issue. */
export function appToken(secret: Uint8Array, customerId: string, now = new Date(), ttlSeconds = 600): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(secret);
}

interface Caller {
  readonly transport: Transport;
  /** For the printed trace only. */
  readonly baseUrl?: string;
  readonly printer?: Printer;
}

async function plainCall(o: Caller, actor: string, method: string, path: string, bearer: string, body?: unknown): Promise<PlainCallResult> {
  const printer = o.printer ?? silentPrinter;
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  printer.request({ direction: 'out', method, url: `${o.baseUrl ?? ''}${path}`, headers, body, actor });
  const started = performance.now();
  const res = await o.transport({ method, url: path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  printer.response({ direction: 'in', status: res.status, body: parsed, elapsedMs: Math.round(performance.now() - started) });
  return { status: res.status, body: parsed };
}

export interface WalletAppOptions extends Caller {
  readonly appJwtSecret: Uint8Array;
  readonly now?: () => Date;
}

/** The wallet app asks its server for an auth code for the logged-in customer (§3). */
export async function requestAuthCode(o: WalletAppOptions, customerId: string, scopes?: readonly string[]): Promise<PlainCallResult> {
  const token = await appToken(o.appJwtSecret, customerId, o.now?.());
  return plainCall(o, 'the wallet app calls the MPP', 'POST', '/app/v1/authCodes', token, scopes ? { scopes } : {});
}

/** The wallet app starts a §8 payment for a scanned order code (`POST /app/v1/payments/initiate`). */
export async function initiatePayment(o: WalletAppOptions, customerId: string, codeValue: string): Promise<PlainCallResult> {
  const token = await appToken(o.appJwtSecret, customerId, o.now?.());
  return plainCall(o, 'the wallet app calls the MPP', 'POST', '/app/v1/payments/initiate', token, { codeValue });
}

export interface OpsOptions extends Caller {
  readonly opsApiToken: string;
}

/** Creates a customer (201), or reports that it exists (409): either way it is there afterwards. */
export function createCustomer(o: OpsOptions, customerId: string, currency: string): Promise<PlainCallResult> {
  return plainCall(o, 'ops calls the MPP', 'POST', '/ops/v1/customers', o.opsApiToken, { customerId, currency, status: 'NORMAL' });
}

/**
 * Credits the customer's wallet with `value` minor units of `currency`. The top-up's key (sent as
 * idempotencyKey) and reason are required by the service (issue 16): a retry with the same key
 * credits once.
 */
export function topUp(
  o: OpsOptions,
  customerId: string,
  currency: string,
  value: string,
  idempotencyKey: string = `sim-${randomUUID()}`,
  reason = 'simulator top-up',
): Promise<PlainCallResult> {
  return plainCall(o, 'ops calls the MPP', 'POST', `/ops/v1/customers/${encodeURIComponent(customerId)}/topUps`, o.opsApiToken, {
    amount: { currency, value },
    idempotencyKey,
    reason,
  });
}

/** §9 the wallet app asks its server for payment codes to show (the server asks Alipay+). */
export async function requestPaymentCodes(o: WalletAppOptions, customerId: string, body: { region?: string; codeQuantity?: number } = {}): Promise<PlainCallResult> {
  const token = await appToken(o.appJwtSecret, customerId, o.now?.());
  return plainCall(o, 'the wallet app calls the MPP', 'POST', '/app/v1/paymentCodes', token, body);
}

/** §10 the wallet app lists the customer's Auto Debit bindings. */
export async function listAgreements(o: WalletAppOptions, customerId: string): Promise<PlainCallResult> {
  const token = await appToken(o.appJwtSecret, customerId, o.now?.());
  return plainCall(o, 'the wallet app calls the MPP', 'GET', '/app/v1/agreements', token);
}

/** §10 the user removes a binding in the wallet app. */
export async function unbindAgreement(o: WalletAppOptions, customerId: string, agreementId: string): Promise<PlainCallResult> {
  const token = await appToken(o.appJwtSecret, customerId, o.now?.());
  return plainCall(o, 'the wallet app calls the MPP', 'DELETE', `/app/v1/agreements/${encodeURIComponent(agreementId)}`, token);
}
