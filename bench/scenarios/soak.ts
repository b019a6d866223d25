/**
 * Soak (`--soak N`): pay for N seconds at the bench's connections, the service's RSS sampled every
 * 5 s, to show it stays flat (no growth with the number of orders served). Fresh signed bodies are
 * signed in the background as the prepared ones run low.
 */
import { routeExists } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { PAY_ACCEPTED, PAY_PATH, payJob } from '../lib/payloads.ts';
import { ProcessSampler, type RssPoint } from '../lib/sampler.ts';

/**
 * "Flat" is about growth with the orders served (a leak), not about the first seconds, where the
 * service grows from idle to its working size (the first sample is taken before any load). So
 * the run's first minute (a third of a shorter run) is warm-up; the mean of the window after it
 * is compared with the mean of the run's last window of the same length.
 */
export function flatness(series: readonly RssPoint[], seconds: number): { warmUpSeconds: number; afterWarmUpMb: number; endMb: number } {
  const warmUpSeconds = Math.max(5, Math.min(60, Math.floor(seconds / 3)));
  const w = warmUpSeconds * 1000;
  const end = series.at(-1)?.atMs ?? 0;
  const mean = (points: readonly RssPoint[]) => (points.length ? points.reduce((a, p) => a + p.rssMb, 0) / points.length : 0);
  return {
    warmUpSeconds,
    afterWarmUpMb: mean(series.filter((p) => p.atMs >= w && p.atMs < 2 * w)),
    endMb: mean(series.filter((p) => p.atMs > end - w)),
  };
}

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
      const flat = flatness(series, seconds);
      const notes = [
        `RSS first ${first.toFixed(0)} MB, last ${last.toFixed(0)} MB, peak ${Math.max(0, ...mb).toFixed(0)} MB (${mb.length} samples, every 5 s)`,
        `RSS after the ${flat.warmUpSeconds} s warm-up: ${flat.afterWarmUpMb.toFixed(0)} MB on average over the next ${flat.warmUpSeconds} s, ${flat.endMb.toFixed(0)} MB over the last ${flat.warmUpSeconds} s`,
        `RSS series MB: ${mb.map((v) => v.toFixed(0)).join(' ')}`,
      ];
      const extra = { rssFirstMb: first, rssLastMb: last, rssPeakMb: Math.max(0, ...mb), rssAfterWarmUpMb: flat.afterWarmUpMb, rssEndMb: flat.endMb };
      return [loadRow('soak', label, m, { expect: PAY_ACCEPTED, notes, extra })];
    },
  };
}
