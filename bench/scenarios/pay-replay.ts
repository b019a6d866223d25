/**
 * pay replay (§4 idempotency): the same signed pay, one paymentRequestId, sent again and again;
 * each answer is the stored first answer (the same paymentId), and no new order is made.
 */
import { describe, routeExists, signedPost } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { PAY_ACCEPTED, PAY_PATH, payBody, signedAsAlipayPlus, VALIDATE, warmupSeconds } from '../lib/payloads.ts';

export const payReplay: Scenario = {
  name: 'pay-replay',
  async run(ctx: BenchContext): Promise<Row[]> {
    const label = 'pay replay (same paymentRequestId)';
    if (!(await routeExists(ctx.service.url, PAY_PATH))) return [notAvailable('pay-replay', label, 'route missing')];
    const id = `${ctx.runId}-replay`;
    const body = payBody(id, ctx.customerId);
    const first = await signedPost(ctx.service.url, PAY_PATH, body);
    if (!PAY_ACCEPTED.includes(describe(first))) {
      return [notAvailable('pay-replay', label, `first pay not accepted: ${describe(first)}`)];
    }
    ctx.facts.set('acceptedPaymentRequestId', id);
    const m = await ctx.measure(
      {
        name: 'pay-replay',
        targets: [ctx.service.url],
        connections: ctx.options.connections,
        durationSeconds: ctx.options.durationSeconds,
        warmupSeconds: warmupSeconds(ctx),
        method: 'POST',
        path: PAY_PATH,
        body: { template: body },
        signing: signedAsAlipayPlus,
        presign: 1,
        validate: VALIDATE,
      },
      [ctx.service.sampler],
    );
    return [loadRow('pay-replay', label, m, { expect: PAY_ACCEPTED, notes: [`first answer paymentId ${String(first.body.paymentId)}`] })];
  },
};
