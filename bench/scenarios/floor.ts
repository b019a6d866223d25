/**
 * Floor F: a bare Fastify route doing one `INSERT ... ON CONFLICT DO NOTHING` per request (a new
 * key each), pg pool of 10, synchronous_commit on. What the service can at best reach per request
 * that writes; every other rate is read against it.
 */
import { type BenchContext, loadRow, type Row, type Scenario } from '../lib/context.ts';
import { VALIDATE, warmupSeconds } from '../lib/payloads.ts';

export function floor(connections?: number): Scenario {
  const name = connections === undefined ? 'floor' : `floor-${connections}`;
  return {
    name,
    async run(ctx: BenchContext): Promise<Row[]> {
      const c = connections ?? ctx.options.connections;
      const m = await ctx.measure(
        {
          name,
          targets: [ctx.floor.url],
          connections: c,
          durationSeconds: ctx.options.durationSeconds,
          warmupSeconds: warmupSeconds(ctx),
          method: 'POST',
          path: '/floor',
          headers: { 'content-type': 'application/json' },
          body: { template: { key: 'x' }, vary: [{ path: ['key'], prefix: `${ctx.runId}-f${c}-` }] },
          validate: VALIDATE,
        },
        [ctx.floor.sampler],
      );
      return [loadRow(name, 'floor F (insert)', m, { expect: ['200 S SUCCESS'] })];
    },
  };
}
