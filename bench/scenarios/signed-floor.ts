/**
 * Signed floor S: floor F plus what every Alipay+ route must do (§1): verify one RSA-2048 request
 * signature and sign the answer with asynchronous crypto.sign. The Alipay+ routes are read against it.
 */
import { type BenchContext, loadRow, type Row, type Scenario } from '../lib/context.ts';
import { presignCount, signedAsAlipayPlus, VALIDATE, warmupSeconds } from '../lib/payloads.ts';

/** S measured under `name` (its label `label`); floor-drift.ts measures it again at the end. */
export function signedFloorScenario(name: string, label: string): Scenario {
  return {
    name,
    async run(ctx: BenchContext): Promise<Row[]> {
      const seconds = ctx.options.durationSeconds;
      const m = await ctx.measure(
        {
          name,
          targets: [ctx.floor.url],
          connections: ctx.options.connections,
          durationSeconds: seconds,
          warmupSeconds: warmupSeconds(ctx),
          method: 'POST',
          path: '/signed-floor',
          body: { template: { key: 'x' }, vary: [{ path: ['key'], prefix: `${ctx.runId}-${name}-` }] },
          signing: signedAsAlipayPlus,
          presign: presignCount(ctx, seconds, warmupSeconds(ctx)),
          validate: VALIDATE,
        },
        [ctx.floor.sampler],
      );
      return [loadRow(name, label, m, { expect: ['200 S SUCCESS'] })];
    },
  };
}

export const signedFloor = signedFloorScenario('signed-floor', 'signed floor S (verify+insert+sign)');
