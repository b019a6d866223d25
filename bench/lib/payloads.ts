/**
 * The bodies the bench sends (the contract's sample values, §7) and how many signed ones to
 * prepare for a timed run.
 */
import { seedPayRequest } from '../../src/simulator/seed-sample.ts';
import type { BenchContext } from './context.ts';
import type { LoadJob } from './load-job.ts';
import { BENCH_ACQUIRER_ID, BENCH_CLIENT_ID, BENCH_PSP_ID, benchKeys } from './service.ts';

/** The seed's sample pay (§4, §7): JPY 100 -> KRW 1000 at JPY/KRW 10.0000, merchant-presented. */
export function payBody(paymentRequestId: string, customerId: string): Record<string, unknown> {
  return seedPayRequest({
    pspId: BENCH_PSP_ID,
    acquirerId: BENCH_ACQUIRER_ID,
    paymentRequestId,
    customerId,
    paymentMethodId: 'bench-method-0001',
    referenceOrderId: `order-${paymentRequestId}`,
    quoteId: 'bench-quote-1',
  });
}

export const PAY_PATH = '/alipayplus/v1/payments/pay';
export const INQUIRY_PATH = '/alipayplus/v1/payments/inquiryPayment';
export const APPLY_TOKEN_PATH = '/alipayplus/v1/authorizations/applyToken';

/** Pay accepted (§4), or replayed as accepted. */
export const PAY_ACCEPTED = ['200 U PAYMENT_IN_PROCESS'];

export const signedAsAlipayPlus = {
  clientId: BENCH_CLIENT_ID,
  keyVersion: '1',
  privateKeyPath: benchKeys.aplusPrivatePath,
  responseKeyPath: benchKeys.mppPublicPath,
} as const;

const PRESIGN_CAP = Number(process.env.BENCH_PRESIGN_CAP ?? 60_000);
/** The smoke run only proves the harness works: a short run may re-send bodies. */
const SMOKE_PRESIGN = 2000;
/** Before any floor has run: about S on a 2-core machine (stack-notes.md: 3,100 req/s), generously. */
const DEFAULT_SIGNED_RPS = 4000;

/**
 * How many unique signed bodies a run needs: the expected rate x (warm-up + duration), doubled
 * (a noisy machine's rates swing), capped. The expected rate is the signed floor's measured one
 * (no signed route beats it by much), else the floor's (S is below F), else a default. Running out
 * is reported, never hidden.
 */
export function presignCount(ctx: BenchContext, seconds: number, warmupSeconds: number, factor = 1): number {
  if (ctx.options.smoke) return SMOKE_PRESIGN;
  const measured = (scenario: string) => ctx.rows.find((r) => r.scenario === scenario && r.status === 'ok')?.rate;
  const expected = (measured('signed-floor') ?? measured('floor') ?? DEFAULT_SIGNED_RPS) * factor;
  return Math.min(PRESIGN_CAP, Math.max(2000, Math.ceil(expected * 2 * (seconds + warmupSeconds)) + ctx.options.connections * 4 + 50));
}

/** Warm-up before the timed run: 1 s, none for smoke. */
export const warmupSeconds = (ctx: BenchContext) => (ctx.options.smoke ? 0 : 1);

export const VALIDATE = 20;

/** A signed pay job with a new paymentRequestId per request. */
export function payJob(ctx: BenchContext, o: { name: string; prefix: string; connections: number; targets?: string[]; seconds?: number; refill?: boolean }): LoadJob {
  const seconds = o.seconds ?? ctx.options.durationSeconds;
  const warmup = warmupSeconds(ctx);
  return {
    name: o.name,
    targets: o.targets ?? [ctx.service.url],
    connections: o.connections,
    durationSeconds: seconds,
    warmupSeconds: warmup,
    method: 'POST',
    path: PAY_PATH,
    body: {
      template: payBody('x', ctx.customerId),
      vary: [
        { path: ['paymentRequestId'], prefix: o.prefix },
        { path: ['paymentMethod', 'customerId'], values: ctx.customerIds },
      ],
    },
    signing: signedAsAlipayPlus,
    presign: presignCount(ctx, seconds, warmup),
    refill: o.refill ?? false,
    validate: VALIDATE,
  };
}
