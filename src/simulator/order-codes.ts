/**
 * §8 order codes as the simulator plays Alipay+: `order-code` issues one, the simulator's
 * userInitiatedPay decodes it into an order with its quote. A code carries its own order spec (a
 * pay scenario of scenarios.ts, when it was issued, options), so the CLI that issues it and the
 * server that decodes it need share nothing but the format; the paymentRequestId is derived from
 * the code, so every decode of one code names the same order (Alipay+ is idempotent on codeValue).
 *
 * Format: `https://qr.alipayplus.com/28166613` (the preset's DECODE prefix, so the MPP identifies it
 * as an Alipay+ order code) + `ORD` + base64url(JSON spec).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type PayScenario, isPayScenario, payRequest } from './scenarios.ts';

export const ORDER_CODE_PREFIX = 'https://qr.alipayplus.com/28166613ORD';

export interface OrderCodeSpec {
  readonly scenario: PayScenario;
  /** When the code was issued (epoch ms): its validity and the `expiry` scenario count from it. */
  readonly issuedAt: number;
  /** How long the code can be decoded (default 600 s). */
  readonly validSeconds: number;
  /** For `expiry`: paymentExpiryTime this many seconds after issue. */
  readonly expirySeconds?: number | undefined;
  /** Answer actionForm HANDLE_BY_SDK with an sdkActionPayload instead of leaving the cashier to the MPP. */
  readonly sdk?: boolean | undefined;
  /** Put the simulator's notifyPayment URL in paymentNotifyUrl (else the MPP uses its configured base). */
  readonly notifyUrl?: boolean | undefined;
  readonly nonce: string;
}

export function issueOrderCode(o: Partial<Omit<OrderCodeSpec, 'nonce'>> & { readonly now?: Date } = {}): string {
  const spec: OrderCodeSpec = {
    scenario: o.scenario ?? 'fx',
    issuedAt: o.issuedAt ?? (o.now ?? new Date()).getTime(),
    validSeconds: o.validSeconds ?? 600,
    ...(o.expirySeconds !== undefined ? { expirySeconds: o.expirySeconds } : {}),
    ...(o.sdk ? { sdk: true } : {}),
    ...(o.notifyUrl ? { notifyUrl: true } : {}),
    nonce: randomBytes(6).toString('hex'),
  };
  return `${ORDER_CODE_PREFIX}${Buffer.from(JSON.stringify(spec)).toString('base64url')}`;
}

/** The spec a code carries, or undefined when it is not one of ours. */
export function readOrderCode(codeValue: string): OrderCodeSpec | undefined {
  if (!codeValue.startsWith(ORDER_CODE_PREFIX)) return undefined;
  try {
    const spec = JSON.parse(Buffer.from(codeValue.slice(ORDER_CODE_PREFIX.length), 'base64url').toString('utf8')) as OrderCodeSpec;
    if (!isPayScenario(spec.scenario) || !Number.isSafeInteger(spec.issuedAt) || !Number.isSafeInteger(spec.validSeconds)) return undefined;
    return spec;
  } catch {
    return undefined;
  }
}

/** One code, one paymentRequestId: 28 digits from its SHA-256. */
export function paymentRequestIdOf(codeValue: string): string {
  return `UIP${BigInt(`0x${createHash('sha256').update(codeValue).digest('hex').slice(0, 24)}`)
    .toString()
    .padStart(29, '0')}`;
}

export interface DecodeContext {
  readonly pspId: string;
  readonly acquirerId: string;
  readonly now: Date;
  /** The simulator's notifyPayment URL (for specs with notifyUrl). */
  readonly notifyPaymentUrl: string;
}

export type DecodeOutcome =
  | { readonly ok: true; readonly order: Record<string, unknown> }
  | { readonly ok: false; readonly resultCode: string; readonly resultMessage: string };

/** userInitiatedPay's S answer for a code (without `result`), or the F it earns. */
export function decodeOrderCode(codeValue: string, customerId: string, c: DecodeContext): DecodeOutcome {
  const spec = readOrderCode(codeValue);
  if (!spec) return { ok: false, resultCode: 'INVALID_CODE', resultMessage: 'not an order code this simulator issued' };
  if (c.now.getTime() > spec.issuedAt + spec.validSeconds * 1000) return { ok: false, resultCode: 'EXPIRED_CODE', resultMessage: 'the order code has expired' };
  const { paymentMethod: _method, ...request } = payRequest(spec.scenario, {
    customerId,
    paymentRequestId: paymentRequestIdOf(codeValue),
    now: new Date(spec.issuedAt),
    ...(spec.expirySeconds !== undefined ? { expirySeconds: spec.expirySeconds } : {}),
    ...(spec.notifyUrl ? { paymentNotifyUrl: c.notifyPaymentUrl } : {}),
  });
  return {
    ok: true,
    order: {
      acquirerId: c.acquirerId,
      pspId: c.pspId,
      codeType: 'ORDER_CODE',
      ...request,
      // The order code of §8: merchant-presented, in store, our cashier unless the SDK handles it.
      paymentFactor: { isInStorePayment: 'true', isCashierPayment: 'false', inStorePaymentScenario: 'OrderCode' },
      ...(spec.sdk
        ? {
            actionForm: {
              actionType: 'HANDLE_BY_SDK',
              sdkActionPayload: Buffer.from(JSON.stringify({ paymentRequestId: paymentRequestIdOf(codeValue) })).toString('base64'),
            },
          }
        : {}),
    },
  };
}
