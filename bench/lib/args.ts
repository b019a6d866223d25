/** Command line and environment of `npm run bench` (see README, "Bench"). */
import type { BenchOptions } from './context.ts';

export const USAGE = `npm run bench [-- options]
  --smoke              every scenario about 2 s, small preloads, no targets, nothing recorded (CI)
  --soak <seconds>     pay for that long, the service's RSS every 5 s (first/last/peak)
  --profile <scenario> run one scenario with the service under --cpu-prof; print the top self time
  --only <a,b,...>     run only these scenarios
  --duration <s>       seconds per scenario (env BENCH_DURATION_SECONDS, default 10)
  --connections <n>    autocannon connections (env BENCH_CONNECTIONS, default 50)
  --no-record          do not append to bench/results
env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), REDIS_URL (default
redis://127.0.0.1:6379), BENCH_PRESIGN_CAP (default 60000), BENCH_AUTH_CODE_CAP (default 40000),
UV_THREADPOOL_SIZE (passed to the service and the floor server; Node's default is 4), BENCH_KEEP_LOGS
(keep the processes' logs even when the run passes)`;

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  const positive = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got ${v}`);
    return n;
  };
  const known = new Set(['--smoke', '--soak', '--profile', '--only', '--duration', '--connections', '--no-record', '--record']);
  const unknown = argv.filter((a) => a.startsWith('--') && !known.has(a));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')}\n${USAGE}`);

  const smoke = argv.includes('--smoke');
  const only = value('--only')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    smoke,
    durationSeconds: smoke ? 2 : (positive('--duration', value('--duration')) ?? positive('BENCH_DURATION_SECONDS', env.BENCH_DURATION_SECONDS) ?? 10),
    connections: positive('--connections', value('--connections')) ?? positive('BENCH_CONNECTIONS', env.BENCH_CONNECTIONS) ?? 50,
    only,
    soakSeconds: positive('--soak', value('--soak')),
    profile: value('--profile'),
    record: argv.includes('--record') || (!smoke && !argv.includes('--no-record')),
  };
}
