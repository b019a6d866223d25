/**
 * What Alipay+ sends, scenario by scenario. Every body uses the exact Alipay+ field names and
 * strings for every scalar (§1). The base is the seed's step-5 sample: a JPY 100 order paid in
 * KRW 1000 at JPY/KRW 10.0000 (§7); the variations exercise §2 (FX in both pair orders,
 * surcharge, promotion) and §4 (explicit paymentExpiryTime).
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { convert, type Quote } from '../domain/fx.ts';
import { currencyExponent, requireAmount } from '../domain/money.ts';
import type { CallResult, PayRequest, RefundRequest, SimulatorClient } from './client.ts';
import { seedOrder } from './seed-sample.ts';

export const PAY_SCENARIOS = ['fx', 'same-currency', 'reverse-pair', 'surcharge', 'promo', 'expiry'] as const;
export type PayScenario = (typeof PAY_SCENARIOS)[number];

export const SCENARIO_DESCRIPTIONS: Readonly<Record<PayScenario, string>> = {
  fx: 'the seed: JPY 100 order, payToAmount KRW 1000 at JPY/KRW 10.0000',
  'same-currency': 'KRW 1000 order paid in KRW 1000, no paymentQuote',
  'reverse-pair': 'JPY 100 -> KRW 1000 quoted the other way round: KRW/JPY 0.1000 (the MPP divides)',
  surcharge: 'the seed plus surchargeInfo: the user pays KRW 50 on top; we still settle payToAmount',
  promo: 'JPY 100 order with a JPY 10 promotion: paymentAmount JPY 90, payToAmount KRW 900',
  expiry: 'the seed with an explicit paymentExpiryTime (default 60 s from now)',
};

export function isPayScenario(s: string): s is PayScenario {
  return (PAY_SCENARIOS as readonly string[]).includes(s);
}

/** A fresh id in the shape of the seed's (digits), unique enough for a sandbox. */
export function newRequestId(prefix = ''): string {
  const stamp = DateTime.utc().toFormat('yyyyMMddHHmmss');
  return `${prefix}${stamp}${BigInt(`0x${randomBytes(8).toString('hex')}`)
    .toString()
    .padStart(20, '0')
    .slice(0, 17)}`;
}

export interface PayScenarioOptions {
  readonly customerId: string;
  readonly paymentRequestId?: string;
  readonly now?: Date;
  /** For `expiry`: seconds from `now` (default 60). */
  readonly expirySeconds?: number;
  readonly paymentNotifyUrl?: string;
  readonly paymentRedirectUrl?: string;
}

const amount = (currency: string, value: string) => ({ currency, value });

/** The seed's merchant-presented order (§7), with a fresh reference and the order amount given. */
const order = (orderAmount: { currency: string; value: string }) => seedOrder(`OrderID_${randomBytes(6).toString('hex')}`, orderAmount);

/** Builds the pay request of a scenario. Pure apart from fresh ids. */
export function payRequest(scenario: PayScenario, o: PayScenarioOptions): PayRequest {
  const now = o.now ?? new Date();
  const base = {
    paymentRequestId: o.paymentRequestId ?? newRequestId(),
    paymentMethod: {
      paymentMethodType: 'CONNECT_WALLET',
      paymentMethodId: `PMID${randomBytes(12).toString('hex').toUpperCase()}`,
      customerId: o.customerId,
    },
    // §4 merchant-presented mode: in store, through the cashier.
    paymentFactor: { isInStorePayment: 'true', isCashierPayment: 'true', inStorePaymentScenario: 'OrderCode' },
    ...(o.paymentNotifyUrl ? { paymentNotifyUrl: o.paymentNotifyUrl } : {}),
    ...(o.paymentRedirectUrl ? { paymentRedirectUrl: o.paymentRedirectUrl } : {}),
  };
  const seedQuote = { quoteId: `Q${randomBytes(6).toString('hex')}`, quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.0000' };
  const seed = {
    order: order(amount('JPY', '100')),
    ...base,
    paymentAmount: amount('JPY', '100'),
    payToAmount: amount('KRW', '1000'),
    paymentQuote: seedQuote,
  };
  switch (scenario) {
    case 'fx':
      return seed;
    case 'same-currency':
      return { order: order(amount('KRW', '1000')), ...base, paymentAmount: amount('KRW', '1000'), payToAmount: amount('KRW', '1000') };
    case 'reverse-pair':
      // §2: the pay-to currency is the BASE of the pair, so payToAmount = paymentAmount / price.
      return { ...seed, paymentQuote: { ...seedQuote, quoteCurrencyPair: 'KRW/JPY', quotePrice: '0.1000' } };
    case 'surcharge':
      // §2: the user pays the surcharge on top; we still settle payToAmount to Alipay+.
      return { ...seed, surchargeInfo: { surchargeAmount: amount('KRW', '50') } };
    case 'promo':
      // §2: paymentAmount excludes the promotion; the promotion is carried through.
      return {
        ...seed,
        paymentAmount: amount('JPY', '90'),
        payToAmount: amount('KRW', '900'),
        paymentPromoInfo: {
          paymentPromoDetails: [{ promoId: `PROMO${randomBytes(4).toString('hex')}`, promoName: 'Spring sale', promoType: 'COUPON', savingsAmount: amount('JPY', '10') }],
        },
      };
    case 'expiry': {
      // §1 times: ISO 8601 with an offset; Alipay+ writes +08:00.
      const at = DateTime.fromJSDate(now)
        .plus({ seconds: o.expirySeconds ?? 60 })
        .setZone('UTC+8');
      return { ...seed, paymentExpiryTime: at.toFormat("yyyy-MM-dd'T'HH:mm:ssZZ") };
    }
  }
}

type Amount = { currency: string; value: string };

function isAmount(v: unknown): v is Amount {
  return typeof v === 'object' && v !== null && typeof (v as Amount).currency === 'string' && /^\d+$/.test(String((v as Amount).value));
}

export interface RefundedPayment {
  readonly paymentRequestId: string;
  readonly paymentId?: string;
  readonly paymentAmount: Amount;
  readonly payToAmount: Amount;
  /** The pay request's quote, when known: the refund then uses it (§5 "the payment's own rate"). */
  readonly paymentQuote?: Quote;
}

/**
 * A §5 refund request for `refundValue` (minor units of the payment currency) of a payment, at
 * the payment's own rate: with its quote, refundFromAmount is the §2 conversion (src/domain/fx.ts,
 * ROUND_HALF_UP) and refundQuote is that quote; without it (the CLI only has what inquiry
 * returns), refundFromAmount = refundAmount x payToAmount / paymentAmount, rounded half up (the
 * minor-unit exponents cancel out, so integers suffice), quoted payment/payTo.
 */
export function refundRequest(payment: RefundedPayment, refundValue: bigint, refundRequestId = newRequestId('R')): RefundRequest {
  const paid = BigInt(payment.paymentAmount.value);
  const settled = BigInt(payment.payToAmount.value);
  if (paid <= 0n) throw new Error('the payment amount is zero: nothing to refund');
  const fx = payment.paymentAmount.currency !== payment.payToAmount.currency;
  let from: bigint;
  let refundQuote: Quote | undefined;
  if (fx && payment.paymentQuote) {
    const refunded = requireAmount(amount(payment.paymentAmount.currency, refundValue.toString()), 'refundAmount');
    from = convert(refunded, payment.paymentQuote, requireAmount(payment.payToAmount, 'payToAmount').currency).valueMinor;
    refundQuote = payment.paymentQuote;
  } else {
    from = (refundValue * settled * 2n + paid) / (paid * 2n);
    if (fx) {
      // The price is per major unit: scale the minor-unit ratio by the two exponents.
      const eFrom = 10n ** BigInt(currencyExponent(requireAmount(payment.paymentAmount, 'paymentAmount').currency));
      const eTo = 10n ** BigInt(currencyExponent(requireAmount(payment.payToAmount, 'payToAmount').currency));
      refundQuote = { quoteCurrencyPair: `${payment.paymentAmount.currency}/${payment.payToAmount.currency}`, quotePrice: ratio(settled * eFrom, paid * eTo) };
    }
  }
  return {
    refundRequestId,
    paymentRequestId: payment.paymentRequestId,
    ...(payment.paymentId ? { paymentId: payment.paymentId } : {}),
    refundAmount: amount(payment.paymentAmount.currency, refundValue.toString()),
    refundFromAmount: amount(payment.payToAmount.currency, from.toString()),
    ...(refundQuote ? { refundQuote } : {}),
  };
}

/** num/den as a decimal string with 4 to 8 places, rounded half up (the seed writes `10.0000`). */
function ratio(num: bigint, den: bigint): string {
  const scale = 10n ** 8n;
  const scaled = (num * scale * 2n + den) / (den * 2n);
  const whole = scaled / scale;
  const frac = (scaled % scale).toString().padStart(8, '0').replace(/0+$/, '').padEnd(4, '0');
  return `${whole}.${frac}`;
}

/**
 * Builds a refund of a payment known only by its paymentRequestId: asks inquiryPayment for the
 * amounts first (as an operator at Alipay+ would look the payment up).
 */
export async function refundFor(
  client: SimulatorClient,
  paymentRequestId: string,
  refundValue: bigint,
  o: { paymentId?: string; refundRequestId?: string } = {},
): Promise<{ inquiry: CallResult; request?: RefundRequest }> {
  const inquiry = await client.inquiryPayment(paymentRequestId);
  const b = inquiry.body;
  if (!isAmount(b.paymentAmount) || !isAmount(b.payToAmount)) return { inquiry };
  const paymentId = o.paymentId ?? (typeof b.paymentId === 'string' ? b.paymentId : undefined);
  const request = refundRequest(
    { paymentRequestId, ...(paymentId ? { paymentId } : {}), paymentAmount: b.paymentAmount, payToAmount: b.payToAmount },
    refundValue,
    o.refundRequestId,
  );
  return { inquiry, request };
}

/** True when an inquiry answer says the payment reached a final state (paymentResult S or F), or the inquiry itself failed finally. */
export function inquiryIsFinal(res: CallResult): boolean {
  const result = res.body.result as { resultStatus?: string } | undefined;
  const paymentResult = res.body.paymentResult as { resultStatus?: string } | undefined;
  if (result?.resultStatus === 'F') return true;
  return paymentResult?.resultStatus === 'S' || paymentResult?.resultStatus === 'F';
}

/**
 * Polls inquiryPayment as Alipay+ does while a payment is U: until it is final or `timeoutMs`
 * passes. The wait between polls is injected (`sleep`) so callers decide what time means.
 */
export async function pollPayment(
  client: SimulatorClient,
  paymentRequestId: string,
  o: { everyMs?: number; timeoutMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
): Promise<CallResult> {
  const everyMs = o.everyMs ?? 2000;
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const until = now() + (o.timeoutMs ?? 180_000);
  for (;;) {
    const res = await client.inquiryPayment(paymentRequestId);
    if (inquiryIsFinal(res) || now() + everyMs > until) return res;
    await sleep(everyMs);
  }
}

/**
 * §9 what Alipay+ sends when a merchant scanned a payment code the wallet showed: the seed's order,
 * paid at once (no cashier), the code as paymentMethodId and the customer Alipay+ issued it for.
 */
export function paymentCodePayRequest(codeValue: string, customerId: string, o: Omit<PayScenarioOptions, 'customerId'> = {}): PayRequest {
  const seed = payRequest('fx', { ...o, customerId });
  return {
    ...seed,
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET', paymentMethodId: codeValue, customerId },
    paymentFactor: { isInStorePayment: 'true', isCashierPayment: 'false', inStorePaymentScenario: 'PaymentCode' },
  };
}

/** §10 an Auto Debit charge: the bound merchant's order, the agreement's access token as paymentMethodId. */
export function agreementPayRequest(accessToken: string, customerId: string, o: Omit<PayScenarioOptions, 'customerId'> = {}): PayRequest {
  const seed = payRequest('fx', { ...o, customerId });
  return {
    ...seed,
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET', paymentMethodId: accessToken, customerId },
    paymentFactor: { isInStorePayment: 'false', isCashierPayment: 'false', isAgreementPayment: 'true' },
  };
}
