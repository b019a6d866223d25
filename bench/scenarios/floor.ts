/**
 * The floors served by the floor server (bench/floor-server.ts), a new key in each body:
 *
 * - F (`floor`, `floor-10`): a bare Fastify route doing one `INSERT ... ON CONFLICT DO NOTHING` per
 *   request, pg pool of 10, synchronous_commit on. What the service can at best reach per request
 *   that writes; every other rate is read against it.
 * - H (`bare-floor`): a bare Fastify route that parses the JSON body and answers `{result}`, no
 *   database, no signature. What one Node event loop serves on this machine when a request does
 *   nothing but HTTP and JSON: the ceiling of a route that only computes, as identify does
 *   (identify's target is read against F; the target line also gives its ratio to H).
 */
import { type BenchContext, loadRow, type Row, type Scenario } from '../lib/context.ts';
import { VALIDATE, warmupSeconds } from '../lib/payloads.ts';

/** A floor-server route measured under `name`; floor-drift.ts measures F again at the end. */
export function floorScenario(name: string, label: string, path: string, connections?: number): Scenario {
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
          path,
          headers: { 'content-type': 'application/json' },
          body: { template: { key: 'x' }, vary: [{ path: ['key'], prefix: `${ctx.runId}-${name}-${c}-` }] },
          validate: VALIDATE,
        },
        [ctx.floor.sampler],
      );
      return [loadRow(name, label, m, { expect: ['200 S SUCCESS'] })];
    },
  };
}

export const floor = (connections?: number): Scenario =>
  floorScenario(connections === undefined ? 'floor' : `floor-${connections}`, 'floor F (insert)', '/floor', connections);

export const bareFloor: Scenario = floorScenario('bare-floor', 'bare Fastify H (JSON in and out, no database)', '/bare-floor');
