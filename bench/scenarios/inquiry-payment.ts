/**
 * inquiryPayment (§5) of an existing payment (PROCESSING, accepted by the replay scenario or here).
 * Without a pay route it inquires an unknown id: F ORDER_NOT_EXIST still runs the whole signed
 * envelope and one lookup; the label says which was measured.
 */
import { describe, routeExists, signedPost } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { INQUIRY_PATH, PAY_ACCEPTED, PAY_PATH, payBody, signedAsAlipayPlus, VALIDATE, warmupSeconds } from '../lib/payloads.ts';
import { BENCH_ACQUIRER_ID, BENCH_PSP_ID } from '../lib/service.ts';

async function existingPayment(ctx: BenchContext): Promise<string | undefined> {
  const known = ctx.facts.get('acceptedPaymentRequestId');
  if (known) return known;
  if (!(await routeExists(ctx.service.url, PAY_PATH))) return undefined;
  const id = `${ctx.runId}-inquired`;
  const answer = await signedPost(ctx.service.url, PAY_PATH, payBody(id, ctx.customerId));
  return PAY_ACCEPTED.includes(describe(answer)) ? id : undefined;
}

export const inquiryPayment: Scenario = {
  name: 'inquiry-payment',
  async run(ctx: BenchContext): Promise<Row[]> {
    if (!(await routeExists(ctx.service.url, INQUIRY_PATH))) return [notAvailable('inquiry-payment', 'inquiryPayment', 'route missing')];
    const existing = await existingPayment(ctx);
    const paymentRequestId = existing ?? `${ctx.runId}-unknown`;
    const label = existing ? 'inquiryPayment (existing payment)' : 'inquiryPayment (unknown id)';
    const m = await ctx.measure(
      {
        name: 'inquiry-payment',
        targets: [ctx.service.url],
        connections: ctx.options.connections,
        durationSeconds: ctx.options.durationSeconds,
        warmupSeconds: warmupSeconds(ctx),
        method: 'POST',
        path: INQUIRY_PATH,
        body: { template: { pspId: BENCH_PSP_ID, acquirerId: BENCH_ACQUIRER_ID, paymentRequestId } },
        signing: signedAsAlipayPlus,
        presign: 1,
        validate: VALIDATE,
      },
      [ctx.service.sampler],
    );
    const notes = existing ? [] : ['no pay route: measured F ORDER_NOT_EXIST for an unknown id (full envelope, one lookup)'];
    return [loadRow('inquiry-payment', label, m, { expect: existing ? ['200 S SUCCESS'] : ['200 F ORDER_NOT_EXIST'], notes })];
  },
};
