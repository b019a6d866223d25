/**
 * Scale-out (issue 8 point 3): the pay bench against three service instances on one Postgres and
 * Redis. Every instance is sent the same paymentRequestIds in the same order, so each id arrives
 * three times, at three instances, at about the same moment. Afterwards the database must hold
 * exactly one order per paymentRequestId (§4: N concurrent identical requests, one order).
 */
import { describe, routeExists, signedPost } from '../lib/clients.ts';
import { type BenchContext, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { PAY_ACCEPTED, PAY_PATH, payBody, payJob } from '../lib/payloads.ts';
import type { RunningService } from '../lib/service.ts';

/** 20 ids, each sent to the three instances at once: the same accepted answer, the same paymentId. */
async function sameAnswers(ctx: BenchContext, instances: readonly RunningService[]): Promise<string> {
  let consistent = 0;
  const seen: string[] = [];
  for (let i = 0; i < 20; i++) {
    const body = payBody(`${ctx.runId}-xc-${i}`, ctx.customerId);
    const answers = await Promise.all(instances.map((s) => signedPost(s.url, PAY_PATH, body)));
    const ids = new Set(answers.map((a) => String(a.body.paymentId)));
    const kinds = new Set(answers.map(describe));
    if (ids.size === 1 && kinds.size === 1 && PAY_ACCEPTED.includes([...kinds][0]!)) consistent++;
    else if (seen.length < 3) seen.push([...kinds].join(' / '));
  }
  return `${consistent}/20 ids sent to the three instances at once got one accepted answer and one paymentId${seen.length ? ` (others: ${seen.join('; ')})` : ''}`;
}

export const scaleOut: Scenario = {
  name: 'scale-out',
  async run(ctx: BenchContext): Promise<Row[]> {
    if (!(await routeExists(ctx.service.url, PAY_PATH))) return [notAvailable('scale-out', 'scale-out: pay on 3 instances', 'route missing')];
    const others = [await ctx.startService('service-2'), await ctx.startService('service-3')];
    try {
      const instances = [ctx.service, ...others];
      const consistency = await sameAnswers(ctx, instances);
      const prefix = `${ctx.runId}-x-`;
      const job = payJob(ctx, { name: 'scale-out', prefix, connections: ctx.options.connections, targets: instances.map((s) => s.url) });
      const m = await ctx.measure(
        job,
        instances.map((s) => s.sampler),
      );
      if (m.outcome.status !== 'ok') return [notAvailable('scale-out', 'scale-out: pay on 3 instances', 'route missing')];

      const { rows } = await ctx.db.pool.query<{ orders: string; ids: string }>(
        'select count(*) as orders, count(distinct payment_request_id) as ids from payments where left(payment_request_id, $2) = $1',
        [prefix, prefix.length],
      );
      const orders = Number(rows[0]!.orders);
      const ids = Number(rows[0]!.ids);
      const out = m.outcome;
      const perInstance: Row[] = out.targets.map((t, i) => ({
        scenario: 'scale-out',
        label: `  instance ${i + 1} of 3`,
        status: 'ok',
        connections: t.connections,
        rate: t.rps,
        unit: 'req/s',
        p50Ms: t.p50Ms,
        p99Ms: t.p99Ms,
        non2xx: t.non2xx,
        errors: t.errors + t.timeouts,
        rssPeakMb: m.windows[i]?.rssPeakMb,
        cpuPercent: m.windows[i]?.cpuPercent,
      }));
      const instancesCpu = m.windows.reduce((a, w) => a + (w.cpuPercent ?? 0), 0);
      const total: Row = {
        scenario: 'scale-out',
        label: 'scale-out: pay on 3 instances (total)',
        status: 'ok',
        connections: ctx.options.connections,
        rate: out.targets.reduce((a, t) => a + t.rps, 0),
        unit: 'req/s',
        p50Ms: Math.max(...out.targets.map((t) => t.p50Ms)),
        p99Ms: Math.max(...out.targets.map((t) => t.p99Ms)),
        non2xx: out.targets.reduce((a, t) => a + t.non2xx, 0),
        errors: out.targets.reduce((a, t) => a + t.errors + t.timeouts, 0),
        codes: out.validation.codes,
        codesAsExpected: orders === ids && Object.keys(out.validation.codes).every((k) => PAY_ACCEPTED.includes(k)),
        cpuPercent: instancesCpu,
        notes: [
          orders === ids
            ? `database: ${ids} paymentRequestIds, exactly one order each`
            : `!! database: ${orders} orders for ${ids} paymentRequestIds: ${orders - ids} duplicates`,
          consistency,
          `each id sent to all three instances: ${ids} distinct orders for ${out.targets.reduce((a, t) => a + t.requests, 0)} requests`,
          `CPU split over the run (of ${m.machineCpuPercent.toFixed(0)}% busy on the machine): instances ${m.windows
            .map((w) => `${w.cpuPercent?.toFixed(0)}%`)
            .join(
              ' + ',
            )}, load generator ${out.loadCpuPercent.toFixed(0)}%, the rest (Postgres, Redis, others) ${Math.max(0, m.machineCpuPercent - instancesCpu - out.loadCpuPercent).toFixed(0)}%`,
        ],
      };
      return [total, ...perInstance];
    } finally {
      await Promise.all(others.map((s) => s.stop()));
    }
  },
};
