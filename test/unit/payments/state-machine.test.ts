import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESULT_CATALOG, type ResultCode } from '../../../src/domain/errors.ts';
import { canonicalJson, newCashierToken, newTimestampedId, payRequestHash } from '../../../src/domain/payments/ids.ts';
import { isOverdue, type PaymentStatus } from '../../../src/domain/payments/payment.ts';
import {
  canTransition,
  IllegalTransition,
  isFinal,
  PAYMENT_STATUSES,
  paymentResultOf,
  resultCodeFor,
  transition,
  TRANSITIONS,
} from '../../../src/domain/payments/state-machine.ts';
import { seedPay } from '../../support/payments.ts';

const LEGAL: [PaymentStatus, PaymentStatus][] = [
  ['PROCESSING', 'SUCCESS'],
  ['PROCESSING', 'FAILED'],
  ['PROCESSING', 'CLOSED'],
  ['SUCCESS', 'CANCELLED'],
];

describe('the payment state machine', () => {
  it.each(LEGAL)('allows %s -> %s', (from, to) => {
    expect(transition(from, to)).toBe(to);
    expect(canTransition(from, to)).toBe(true);
  });

  it('throws IllegalTransition on every other pair, including staying put', () => {
    for (const from of PAYMENT_STATUSES) {
      for (const to of PAYMENT_STATUSES) {
        if (LEGAL.some(([f, t]) => f === from && t === to)) continue;
        expect(() => transition(from, to)).toThrow(IllegalTransition);
        expect(canTransition(from, to)).toBe(false);
      }
    }
  });

  it('never lets a closed, failed or cancelled payment move again, nor a paid one be closed', () => {
    expect(TRANSITIONS.CLOSED).toEqual([]);
    expect(TRANSITIONS.FAILED).toEqual([]);
    expect(TRANSITIONS.CANCELLED).toEqual([]);
    expect(() => transition('SUCCESS', 'CLOSED')).toThrow(/SUCCESS -> CLOSED/);
    expect(() => transition('CLOSED', 'SUCCESS')).toThrow(IllegalTransition);
  });

  it('has no cycles: along any walk, no status is entered twice', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (choices) => {
        let at: PaymentStatus = 'PROCESSING';
        const seen = new Set<PaymentStatus>([at]);
        for (const c of choices) {
          const next: readonly PaymentStatus[] = TRANSITIONS[at];
          if (next.length === 0) break;
          at = next[c % next.length]!;
          expect(seen.has(at)).toBe(false);
          seen.add(at);
        }
      }),
    );
  });

  it('calls only PROCESSING in flight', () => {
    expect(PAYMENT_STATUSES.filter((s) => !isFinal(s))).toEqual(['PROCESSING']);
  });
});

describe('the result a payment carries (§5)', () => {
  it.each<[PaymentStatus, ResultCode, 'S' | 'F' | 'U']>([
    ['PROCESSING', 'PAYMENT_IN_PROCESS', 'U'],
    ['SUCCESS', 'SUCCESS', 'S'],
    ['CLOSED', 'ORDER_IS_CLOSED', 'F'],
    ['CANCELLED', 'ORDER_IS_CLOSED', 'F'],
  ])('%s is %s (%s)', (status, code, resultStatus) => {
    expect(resultCodeFor(status as Exclude<PaymentStatus, 'FAILED'>)).toBe(code);
    expect(paymentResultOf({ status, resultCode: code })).toMatchObject({ resultCode: code, resultStatus });
  });

  it('carries the failure reason of a FAILED payment and refuses a non-final one', () => {
    expect(resultCodeFor('FAILED', 'USER_BALANCE_NOT_ENOUGH')).toBe('USER_BALANCE_NOT_ENOUGH');
    expect(paymentResultOf({ status: 'FAILED', resultCode: 'USER_BALANCE_NOT_ENOUGH' }).resultStatus).toBe('F');
    for (const code of Object.keys(RESULT_CATALOG) as ResultCode[]) {
      if (RESULT_CATALOG[code].status !== 'F') expect(() => resultCodeFor('FAILED', code)).toThrow();
    }
  });

  it('calls an order overdue only while PROCESSING and at or after its expiry', () => {
    const expiresAt = new Date('2030-01-01T00:00:00Z');
    expect(isOverdue({ status: 'PROCESSING', expiresAt }, new Date('2029-12-31T23:59:59.999Z'))).toBe(false);
    expect(isOverdue({ status: 'PROCESSING', expiresAt }, expiresAt)).toBe(true);
    expect(isOverdue({ status: 'SUCCESS', expiresAt }, new Date('2031-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('ids and the key-field hash (§4)', () => {
  it('makes 32-digit payment ids that start with the UTC time', () => {
    const id = newTimestampedId(new Date('2024-02-03T04:05:06.789Z'));
    expect(id).toMatch(/^20240203040506789[0-9]{15}$/);
    expect(new Set(Array.from({ length: 1000 }, () => newTimestampedId(new Date()))).size).toBe(1000);
  });

  it('makes 256-bit base64url cashier tokens', () => {
    const token = newCashierToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('writes canonical JSON with sorted keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
  });

  it('hashes the same key fields the same whatever their key order', () => {
    const a = seedPay('C1', 'R1');
    const reordered = {
      ...a,
      payToAmount: { value: '1000', currency: 'KRW' },
      paymentMethod: { customerId: 'C1', paymentMethodId: a.paymentMethod.paymentMethodId, paymentMethodType: 'CONNECT_WALLET' as const },
    };
    expect(payRequestHash(reordered as never)).toBe(payRequestHash(a as never));
  });

  it('ignores fields outside the key and changes with every key field', () => {
    const a = seedPay('C1', 'R1');
    const h = payRequestHash(a as never);
    expect(payRequestHash({ ...a, order: { ...a.order, orderDescription: 'BOOTS' } } as never)).toBe(h);
    expect(payRequestHash({ ...a, paymentAmount: { currency: 'JPY', value: '101' } } as never)).not.toBe(h);
    expect(payRequestHash({ ...a, payToAmount: { currency: 'KRW', value: '1001' } } as never)).not.toBe(h);
    expect(payRequestHash({ ...a, paymentMethod: { ...a.paymentMethod, customerId: 'C2' } } as never)).not.toBe(h);
    expect(payRequestHash({ ...a, surchargeInfo: { surchargeAmount: { currency: 'KRW', value: '1' } } } as never)).not.toBe(h);
    expect(payRequestHash({ ...a, paymentPromoInfo: { paymentPromoDetails: [] } } as never)).not.toBe(h);
  });
});
