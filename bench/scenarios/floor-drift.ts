/**
 * F and S measured again at the end of the run (`floor-drift`). Every ratio of a run is read
 * against the floors measured at its start, which holds only while the machine's speed does: on
 * these shared VMs it has moved within a run (2026-12-07: F 4,860 req/s in one full run and 3,722
 * at the start of the next, then identify at 8,977 req/s later in that run against 6,229 in the
 * first, so its ratio to F read 2.41 where the first run read 1.28). These rows say how far the
 * floors moved between the start and the end; their `x F` and `x S` are that drift as a ratio.
 */
import type { BenchContext, Row, Scenario } from '../lib/context.ts';
import { changeText, countText } from '../lib/table.ts';
import { floorScenario } from './floor.ts';
import { signedFloorScenario } from './signed-floor.ts';

const againF = floorScenario('drift-floor', 'floor F again, at the end of the run', '/floor');
const againS = signedFloorScenario('drift-signed-floor', 'signed floor S again, at the end of the run');

/** `F 4,860 req/s at the start of the run, 5,102 at its end (+5%)`, or nothing when either did not run. */
function driftNote(name: string, start: Row | undefined, end: Row): string | undefined {
  if (start?.status !== 'ok' || end.status !== 'ok' || !start.rate || !end.rate) return undefined;
  return `${name} ${countText(start.rate)} req/s at the start of the run, ${countText(end.rate)} at its end (${changeText(end.rate, start.rate)})`;
}

export const floorDrift: Scenario = {
  name: 'floor-drift',
  async run(ctx: BenchContext): Promise<Row[]> {
    const startOf = (scenario: string) => ctx.rows.find((r) => r.scenario === scenario);
    const rows: Row[] = [];
    for (const [scenario, name, start] of [
      [againF, 'F', 'floor'],
      [againS, 'S', 'signed-floor'],
    ] as const) {
      const [end] = await scenario.run(ctx);
      if (!end) continue;
      const note = driftNote(name, startOf(start), end);
      rows.push(note ? { ...end, notes: [...(end.notes ?? []), note] } : end);
    }
    return rows;
  },
};
