import { describe, expect, it } from 'vitest';
import { checkPayToAmount, convert } from '../../src/domain/fx.ts';
import { requireAmount } from '../../src/domain/money.ts';
import { keyFields } from '../../src/simulator/print.ts';
import { inquiryIsFinal, PAY_SCENARIOS, payRequest, refundRequest } from '../../src/simulator/scenarios.ts';
import type { CallResult } from '../../src/simulator/client.ts';
import { expectRequestMatchesOpenApi } from '../support/openapi.ts';

const ids = { pspId: '1022088000000000001', acquirerId: '2052666000000000' };
const now = new Date('2026-01-02T03:04:05Z');

describe('the simulator pay scenarios', () => {
  it.each(PAY_SCENARIOS)('%s sends a pay request openapi.yaml accepts, every scalar a string', (scenario) => {
    const body = { ...ids, ...payRequest(scenario, { customerId: 'alice', now }) };
    expect(() => expectRequestMatchesOpenApi('POST', '/alipayplus/v1/payments/pay', body)).not.toThrow();
    const scalars: unknown[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
      else scalars.push(v);
    };
    walk(body);
    expect(scalars.every((s) => typeof s === 'string' && s !== '')).toBe(true);
  });

  it.each(PAY_SCENARIOS)('%s quotes a payToAmount our own FX check agrees with (§2)', (scenario) => {
    const body = payRequest(scenario, { customerId: 'alice', now }) as Record<string, unknown>;
    const check = checkPayToAmount({
      paymentAmount: requireAmount(body.paymentAmount, 'paymentAmount'),
      payToAmount: requireAmount(body.payToAmount, 'payToAmount'),
      quote: body.paymentQuote as never,
    });
    expect(check.ok).toBe(true);
  });

  it('fx is the seed sample: JPY 100 -> KRW 1000 at JPY/KRW 10.0000', () => {
    expect(payRequest('fx', { customerId: 'alice' })).toMatchObject({
      paymentAmount: { currency: 'JPY', value: '100' },
      payToAmount: { currency: 'KRW', value: '1000' },
      paymentQuote: { quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.0000' },
    });
  });

  it('reverse-pair quotes the reciprocal price with the pay-to currency as BASE', () => {
    expect(payRequest('reverse-pair', { customerId: 'alice' }).paymentQuote).toMatchObject({ quoteCurrencyPair: 'KRW/JPY', quotePrice: '0.1000' });
  });

  it('expiry writes paymentExpiryTime in +08:00, the given seconds from now', () => {
    expect(payRequest('expiry', { customerId: 'alice', now, expirySeconds: 90 }).paymentExpiryTime).toBe('2026-01-02T11:05:35+08:00');
  });

  it('uses a fresh paymentRequestId per request unless one is given', () => {
    const a = payRequest('fx', { customerId: 'alice' }).paymentRequestId;
    expect(a).not.toBe(payRequest('fx', { customerId: 'alice' }).paymentRequestId);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(payRequest('fx', { customerId: 'alice', paymentRequestId: 'mine' }).paymentRequestId).toBe('mine');
  });
});

describe('the simulator refund request', () => {
  const payment = { paymentRequestId: 'PR1', paymentId: 'P1', paymentAmount: { currency: 'JPY', value: '100' }, payToAmount: { currency: 'KRW', value: '1000' } };

  it('refunds at the payment own rate, with its quote when known', () => {
    const quote = { quoteId: 'Q1', quoteCurrencyPair: 'KRW/JPY', quotePrice: '0.1000' };
    const r = refundRequest({ ...payment, paymentQuote: quote }, 40n, 'R1');
    expect(r).toEqual({
      refundRequestId: 'R1',
      paymentRequestId: 'PR1',
      paymentId: 'P1',
      refundAmount: { currency: 'JPY', value: '40' },
      refundFromAmount: { currency: 'KRW', value: '400' },
      refundQuote: quote,
    });
    expect(() => expectRequestMatchesOpenApi('POST', '/alipayplus/v1/payments/refund', { ...ids, ...r })).not.toThrow();
  });

  it('without the quote, derives the rate from the amounts, rounding half up, and agrees with the §2 conversion', () => {
    const odd = { ...payment, paymentAmount: { currency: 'USD', value: '300' }, payToAmount: { currency: 'KRW', value: '4000' } };
    const r = refundRequest(odd, 100n, 'R2');
    expect(r.refundFromAmount).toEqual({ currency: 'KRW', value: '1333' });
    // USD has 2 decimals, KRW none: the price is per major unit.
    expect(r.refundQuote).toEqual({ quoteCurrencyPair: 'USD/KRW', quotePrice: '1333.33333333' });
    const viaDomain = convert(requireAmount(r.refundAmount, 'refundAmount'), r.refundQuote!, requireAmount(odd.payToAmount, 'p').currency);
    expect(viaDomain.valueMinor).toBe(1333n);
  });

  it('sends no quote when the payment was in one currency', () => {
    const same = { ...payment, paymentAmount: { currency: 'KRW', value: '1000' } };
    expect(refundRequest(same, 250n).refundQuote).toBeUndefined();
    expect(refundRequest(same, 250n).refundFromAmount).toEqual({ currency: 'KRW', value: '250' });
  });
});

describe('the simulator output', () => {
  it('folds amounts and shortens tokens unless asked', () => {
    const body = { result: {}, accessToken: '281010033AB2F588D14B43238637264FCA5A', paymentAmount: { currency: 'JPY', value: '100' } };
    expect(keyFields(body)).toEqual(['accessToken: 281010…(36 chars)', 'paymentAmount: JPY 100']);
    expect(keyFields(body, { showSecrets: true })[0]).toBe('accessToken: 281010033AB2F588D14B43238637264FCA5A');
  });

  it('calls an inquiry final when the payment result is S or F, or the inquiry failed finally', () => {
    const answer = (body: Record<string, unknown>) => ({ body }) as CallResult;
    expect(inquiryIsFinal(answer({ result: { resultStatus: 'S' }, paymentResult: { resultStatus: 'U' } }))).toBe(false);
    expect(inquiryIsFinal(answer({ result: { resultStatus: 'S' }, paymentResult: { resultStatus: 'S' } }))).toBe(true);
    expect(inquiryIsFinal(answer({ result: { resultStatus: 'F' } }))).toBe(true);
    expect(inquiryIsFinal(answer({ result: { resultStatus: 'U' } }))).toBe(false);
  });
});
