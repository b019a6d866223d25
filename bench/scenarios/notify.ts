/**
 * notifyPayment delivery (§5): notifications delivered per second to a local receiver (the fake
 * Alipay+, which verifies each signature and answers S). The notifications are made the way the
 * service makes them: overdue orders closed by the sweeper write theirs in the same transaction;
 * the dispatcher's runOnce is then driven in this process.
 */
import { routeExists } from '../lib/clients.ts';
import { type BenchContext, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { drain, inProcessJobs, moduleExists } from '../lib/jobs.ts';
import { insertOverdueOrders, NotPossible } from '../lib/orders.ts';
import { PAY_PATH } from '../lib/payloads.ts';
import { SWEEPER_JOB, SWEEPER_MODULE } from './sweeper.ts';

const DISPATCHER_MODULE = 'src/jobs/notify-dispatcher.ts';

interface FakeStats {
  notifications: number;
  notificationsBadSignature: number;
  unexpected: Record<string, number>;
}

export const notify: Scenario = {
  name: 'notify',
  async run(ctx: BenchContext): Promise<Row[]> {
    const count = ctx.options.smoke ? 1000 : 20_000;
    const label = 'notify (deliveries to a local receiver)';
    const na = (reason: string) => [notAvailable('notify', label, reason)];
    if (!moduleExists(DISPATCHER_MODULE)) return na(`${DISPATCHER_MODULE} missing`);
    if (!moduleExists(SWEEPER_MODULE)) return na(`${SWEEPER_MODULE} missing (its closes make the notifications)`);
    if (!(await routeExists(ctx.service.url, PAY_PATH))) return na('pay route missing (it makes the orders)');

    const jobs = await inProcessJobs(ctx);
    try {
      const dispatcher = jobs.find(/notif/i);
      const sweeperJob = jobs.find(SWEEPER_JOB);
      if (!dispatcher || !sweeperJob) return na(`jobs not found among buildApp's jobs (${jobs.jobs.map((j) => j.name).join(', ') || 'none'})`);
      await insertOverdueOrders(ctx, count, 3);
      await drain(sweeperJob, { maxSeconds: 600 });

      await fetch(`${ctx.fake.url}/stats/reset`, { method: 'POST' });
      const cpu0 = process.cpuUsage();
      const fakeWindow = ctx.fake.sampler.window();
      const run = await drain(dispatcher, { maxSeconds: ctx.options.durationSeconds });
      const cpu = process.cpuUsage(cpu0);
      const fake = fakeWindow.end();
      const stats = (await (await fetch(`${ctx.fake.url}/stats`)).json()) as FakeStats;
      const elsewhere = Object.entries(stats.unexpected).map(([p, n]) => `${p} x${n}`);
      if (stats.notifications + stats.notificationsBadSignature === 0) {
        return na(`nothing reached the receiver (dispatcher handled ${run.handled}${elsewhere.length ? `; calls to ${elsewhere.join(', ')}` : ''})`);
      }
      return [
        {
          scenario: 'notify',
          label,
          status: 'ok',
          rate: stats.notifications / run.seconds,
          unit: 'notifs/s',
          codes: { 'signed, verified': stats.notifications, 'bad signature': stats.notificationsBadSignature },
          codesAsExpected: stats.notificationsBadSignature === 0,
          cpuPercent: ((cpu.user + cpu.system) / 1e6 / run.seconds) * 100,
          notes: [
            `${stats.notifications} delivered in ${run.seconds.toFixed(1)} s by ${run.batches} runOnce calls (dispatcher said ${run.handled})`,
            `CPU: dispatcher process ${(((cpu.user + cpu.system) / 1e6 / run.seconds) * 100).toFixed(0)}%, receiver ${fake.cpuPercent?.toFixed(0)}%`,
            ...(elsewhere.length ? [`calls to paths the receiver does not serve: ${elsewhere.join(', ')}`] : []),
          ],
        },
      ];
    } catch (err) {
      if (err instanceof NotPossible) return na(err.message);
      throw err;
    } finally {
      await jobs.close();
    }
  },
};
