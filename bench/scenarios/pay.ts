/**
 * pay (§4): signed pay requests, each a new paymentRequestId, verified and answered signed; each
 * one stores an order as PROCESSING and answers U PAYMENT_IN_PROCESS. At the bench's connections,
 * and at 10 connections for the latency a lightly loaded service gives.
 */
import { routeExists } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { PAY_ACCEPTED, PAY_PATH, payJob } from '../lib/payloads.ts';

export function pay(connections?: number): Scenario {
  const name = connections === undefined ? 'pay' : `pay-${connections}`;
  return {
    name,
    async run(ctx: BenchContext): Promise<Row[]> {
      const c = connections ?? ctx.options.connections;
      const label = `pay (new paymentRequestId each)`;
      if (!(await routeExists(ctx.service.url, PAY_PATH))) return [notAvailable(name, label, 'route missing')];
      const job = payJob(ctx, { name, prefix: `${ctx.runId}-p${c}-`, connections: c });
      const m = await ctx.measure(job, [ctx.service.sampler]);
      return [loadRow(name, label, m, { expect: PAY_ACCEPTED })];
    },
  };
}
