/**
 * Soak (`--soak N`): pay for N seconds at the bench's connections, the service's RSS sampled every
 * 5 s, to show it stays flat (no growth with the number of orders served). Fresh signed bodies are
 * signed in the background as the prepared ones run low.
 */
import { routeExists } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { PAY_ACCEPTED, PAY_PATH, payJob } from '../lib/payloads.ts';
import { ProcessSampler } from '../lib/sampler.ts';

export function soak(seconds: number): Scenario {
  return {
    name: 'soak',
    async run(ctx: BenchContext): Promise<Row[]> {
      const label = `soak: pay for ${seconds} s`;
      if (!(await routeExists(ctx.service.url, PAY_PATH))) return [notAvailable('soak', label, 'route missing')];
      const rss = new ProcessSampler(ctx.service.child.pid, 5000);
      const job = payJob(ctx, { name: 'soak', prefix: `${ctx.runId}-soak-`, connections: ctx.options.connections, seconds, refill: true });
      const m = await ctx.measure(job, [ctx.service.sampler], { onStart: () => rss.start(), onEnd: () => rss.stop() });
      const series = rss.series();
      const mb = series.map((p) => p.rssMb);
      const first = mb[0] ?? 0;
      const last = mb[mb.length - 1] ?? 0;
      const notes = [
        `RSS first ${first.toFixed(0)} MB, last ${last.toFixed(0)} MB, peak ${Math.max(0, ...mb).toFixed(0)} MB (${mb.length} samples, every 5 s)`,
        `RSS series MB: ${mb.map((v) => v.toFixed(0)).join(' ')}`,
      ];
      const extra = { rssFirstMb: first, rssLastMb: last, rssPeakMb: Math.max(0, ...mb) };
      return [loadRow('soak', label, m, { expect: PAY_ACCEPTED, notes, extra })];
    },
  };
}
