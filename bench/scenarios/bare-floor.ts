/**
 * Floor H: a bare Fastify route that parses a small JSON body and answers `{result}`, with no
 * database and no signature, in the floor server. What one Node event loop serves on this machine
 * when a request does nothing but HTTP and JSON: the ceiling of a route that only computes, as
 * identify does (identify's target is read against F; its row beside this one says how much of
 * the ceiling it reaches).
 */
import { type BenchContext, loadRow, type Row, type Scenario } from '../lib/context.ts';
import { VALIDATE, warmupSeconds } from '../lib/payloads.ts';

export const bareFloor: Scenario = {
  name: 'bare-floor',
  async run(ctx: BenchContext): Promise<Row[]> {
    const m = await ctx.measure(
      {
        name: 'bare-floor',
        targets: [ctx.floor.url],
        connections: ctx.options.connections,
        durationSeconds: ctx.options.durationSeconds,
        warmupSeconds: warmupSeconds(ctx),
        method: 'POST',
        path: '/bare-floor',
        headers: { 'content-type': 'application/json' },
        body: { template: { codeValue: 'x' }, vary: [{ path: ['codeValue'], prefix: `${ctx.runId}-h-` }] },
        validate: VALIDATE,
      },
      [ctx.floor.sampler],
    );
    return [loadRow('bare-floor', 'bare Fastify H (JSON in and out, no database)', m, { expect: ['200 S SUCCESS'] })];
  },
};
