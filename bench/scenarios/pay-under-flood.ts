/**
 * pay under a junk flood (issue 16 item 2): Alipay+ pay traffic at the bench's connections, first
 * alone, then while another client floods the same service with junk on the Alipay+ routes (an
 * unknown Client-Id, a made-up signature, the same peer address). Both measured in this scenario,
 * so the ratio compares like with like. The flood is answered unsigned (and, past the public
 * per-peer limit, by the rate limiter before its body is read): it must not starve pay.
 * Target (targets.ts): pay's rate and p99 under the flood within 20 % of pay alone.
 */
import { routeExists } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import type { LoadJob } from '../lib/load-job.ts';
import { runLoad } from '../lib/load-runner.ts';
import { PAY_ACCEPTED, PAY_PATH, payBody, payJob } from '../lib/payloads.ts';

export const PAY_ALONE = 'pay-alone';
export const PAY_UNDER_FLOOD = 'pay-under-flood';

/** Junk as a hostile client sends it: well-formed HTTP, a Client-Id that is not Alipay+'s. */
function junkJob(ctx: BenchContext, seconds: number, connections: number): LoadJob {
  return {
    name: 'junk-flood',
    targets: [ctx.service.url],
    connections,
    durationSeconds: seconds,
    method: 'POST',
    path: PAY_PATH,
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': 'NOT_ALIPAYPLUS',
      'request-time': new Date().toISOString(),
      signature: 'algorithm=RSA256,keyVersion=1,signature=AAAA',
    },
    body: { template: payBody('junk', ctx.customerId), vary: [{ path: ['paymentRequestId'], prefix: `${ctx.runId}-junk-` }] },
    validate: 5,
  };
}

export const payUnderFlood: Scenario = {
  name: PAY_UNDER_FLOOD,
  async run(ctx: BenchContext): Promise<Row[]> {
    const c = ctx.options.connections;
    if (!(await routeExists(ctx.service.url, PAY_PATH))) return [notAvailable(PAY_UNDER_FLOOD, 'pay under a junk flood', 'route missing')];
    const alone = await ctx.measure(payJob(ctx, { name: PAY_ALONE, prefix: `${ctx.runId}-pa-`, connections: c }), [ctx.service.sampler]);
    const aloneRow = loadRow(PAY_ALONE, `pay alone (baseline of ${PAY_UNDER_FLOOD})`, alone, { expect: PAY_ACCEPTED });

    // The flood runs over the whole timed pay run (and its warm-up): started first, a little longer.
    const seconds = ctx.options.durationSeconds;
    const flood = runLoad(junkJob(ctx, seconds + 3, c), ctx.logDir);
    await new Promise((r) => setTimeout(r, 500));
    const under = await ctx.measure(payJob(ctx, { name: PAY_UNDER_FLOOD, prefix: `${ctx.runId}-pf-`, connections: c }), [ctx.service.sampler]);
    const junk = await flood;
    const jt = junk.status === 'ok' ? junk.targets[0] : undefined;
    const codes = Object.entries(junk.validation.codes)
      .map(([k, n]) => `${k} x${n}`)
      .join(', ');
    const ratePct = (((under.outcome.status === 'ok' ? under.outcome.targets[0]!.rps : 0) / (aloneRow.rate ?? 1) - 1) * 100).toFixed(0);
    const notes = [
      `junk: ${jt ? `${Math.round(jt.rps)} req/s, p99 ${jt.p99Ms} ms` : junk.status}; answers ${codes || '-'}`,
      `vs pay alone ${Math.round(aloneRow.rate ?? 0)} req/s p99 ${aloneRow.p99Ms} ms: rate ${ratePct}%`,
    ];
    return [aloneRow, loadRow(PAY_UNDER_FLOOD, `pay while another client floods junk (${c} junk connections)`, under, { expect: PAY_ACCEPTED, notes })];
  },
};
