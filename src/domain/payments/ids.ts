/** Our payment ids, cashier link tokens, and the §4 key-field hash. */
import { createHash } from 'node:crypto';
import { secureRandomBytes } from '../random.ts';
import type { PayRequest } from './payment.ts';

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Our ids (paymentId §4, refundId §5; at most 64): UTC yyyyMMddHHmmssSSS then 15 random digits,
 * 32 digits in all, like the shape of the public samples. Uniqueness is the primary key's; a clash
 * (1 in 10^15 within one millisecond) fails the insert, which rolls back and answers U: Alipay+
 * retries.
 */
export function newTimestampedId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 17);
  const random = (secureRandomBytes(8).readBigUInt64BE(0) % 10n ** 15n).toString().padStart(15, '0');
  return `${stamp}${random}`;
}

/** The cashier link token (§4 "unguessable"): 256 bits from the CSPRNG, base64url (43 characters). */
export function newCashierToken(): string {
  return secureRandomBytes(32).toString('base64url');
}

export const CASHIER_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Only this is stored (payments.cashier_token_hash): a database read does not give the link. */
export function hashCashierToken(token: string): string {
  return sha256Hex(token);
}

/** JSON with object keys sorted at every level, arrays in order, undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * §4: the key fields whose change makes a repeat inconsistent: paymentAmount, payToAmount,
 * surchargeInfo, paymentMethod, paymentPromoInfo. SHA-256 of their canonical JSON.
 */
export function payRequestHash(r: PayRequest): string {
  return sha256Hex(
    canonicalJson({
      paymentAmount: r.paymentAmount,
      payToAmount: r.payToAmount,
      surchargeInfo: r.surchargeInfo,
      paymentMethod: r.paymentMethod,
      paymentPromoInfo: r.paymentPromoInfo,
    }),
  );
}

/**
 * §5 revision 2, cancel before pay: the request hash recorded under a paymentRequestId that
 * cancelPayment reached before any pay. No pay request hashes to it (it is the digest of a fixed
 * text, not of canonical key fields), so a pay that arrives later finds the key taken by it.
 */
export const CANCELLED_BEFORE_PAY_HASH = sha256Hex('cancelPayment before pay');

/** The paymentMethodId (an access token in cashier payments) is stored only as its SHA-256. */
export function hashPaymentMethodId(paymentMethodId: string): string {
  return sha256Hex(paymentMethodId);
}
