/**
 * `npm run bench`: the service as a real process on real Postgres and Redis, loaded from a
 * separate process, read against floors measured in the same run (issue 8).
 *
 * The run: a fresh database (created, migrated, dropped at the end, also on failure or ctrl-c);
 * the fake Alipay+ (code rules, notify receiver), the floor server and the service as child
 * processes; a customer through the ops API; then each scenario (bench/scenarios/), one table,
 * the targets, and the results appended to bench/results/. See bench/lib/args.ts for the options.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from './lib/args.ts';
import { opsPost } from './lib/clients.ts';
import type { BenchContext, BenchOptions, Measured, Row, Scenario } from './lib/context.ts';
import { autovacuumStandIn, type BenchDatabase, createBenchDatabase, type WalCounters, walCounters } from './lib/database.ts';
import { runLoad } from './lib/load-runner.ts';
import type { LoadJob } from './lib/load-job.ts';
import { runningChildren } from './lib/processes.ts';
import { newestProfile, summariseProfile } from './lib/profile.ts';
import { machine, recordRun } from './lib/results.ts';
import { cpuWindowOf, machineCpuSeconds, type ProcessSampler } from './lib/sampler.ts';
import { type HelperProcess, type RunningService, startFakeAlipayPlus, startFloorServer, startService } from './lib/service.ts';
import { codesText, notesText, textTable } from './lib/table.ts';
import { payJob } from './lib/payloads.ts';
import { checkTargets, type TargetCheck } from './lib/targets.ts';
import { applyToken } from './scenarios/apply-token.ts';
import { bareFloor, floor } from './scenarios/floor.ts';
import { floorDrift } from './scenarios/floor-drift.ts';
import { identify } from './scenarios/identify.ts';
import { initiate } from './scenarios/initiate.ts';
import { inquiryPayment } from './scenarios/inquiry-payment.ts';
import { notify } from './scenarios/notify.ts';
import { payReplay } from './scenarios/pay-replay.ts';
import { pay } from './scenarios/pay.ts';
import { payUnderFlood } from './scenarios/pay-under-flood.ts';
import { scaleOut } from './scenarios/scale-out.ts';
import { signedFloor } from './scenarios/signed-floor.ts';
import { soak } from './scenarios/soak.ts';
import { sweeper } from './scenarios/sweeper.ts';
import { payAgreement, payCode } from './scenarios/sync-pay.ts';
import { repoDir } from '../test/support/shared.ts';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROFILE_DIR = join(repoDir, 'bench', 'profiles');

/** Every scenario, in the order they run: the floors first (the others are read against them), and again last. */
function allScenarios(): Scenario[] {
  return [
    floor(),
    floor(10),
    signedFloor,
    bareFloor,
    pay(),
    pay(10),
    payUnderFlood,
    payCode,
    payAgreement,
    payReplay,
    applyToken,
    inquiryPayment,
    identify,
    initiate,
    sweeper,
    notify,
    scaleOut,
    floorDrift,
  ];
}

function chooseScenarios(o: BenchOptions): Scenario[] {
  if (o.soakSeconds) return [soak(o.soakSeconds)];
  const all = allScenarios();
  const wanted = o.profile ? [o.profile] : o.only;
  if (!wanted) return all;
  const unknown = wanted.filter((w) => !all.some((s) => s.name === w));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`);
  return all.filter((s) => wanted.includes(s.name));
}

const log = (message: string) => process.stderr.write(`${message}\n`);

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

interface Processes {
  readonly fake: HelperProcess;
  readonly floor: HelperProcess;
  readonly service: RunningService;
  startAnother(name: string): Promise<RunningService>;
}

/** The fake Alipay+ first (the service loads its code rules at start), the floor server, the service. */
async function startProcesses(options: BenchOptions, runId: string, db: BenchDatabase, logDir: string): Promise<Processes> {
  const fake = await startFakeAlipayPlus({ rules: 1000, rulesVersion: `bench-${runId}`, logDir });
  const floorServer = await startFloorServer({ databaseUrl: db.url, logDir });
  log(`floor server: synchronous_commit=${floorServer.synchronousCommit}`);
  if (options.profile) mkdirSync(PROFILE_DIR, { recursive: true });
  const common = { databaseUrl: db.url, redisUrl: REDIS_URL, dataDir: join(logDir, 'data'), alipayPlusBaseUrl: fake.url, logDir };
  const service = await startService({ ...common, name: 'service-1', nodeArgs: options.profile ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [] });
  return { fake, floor: floorServer, service, startAnother: (name) => startService({ ...common, name }) };
}

/** Seconds of unmeasured pays before the first scenario (none in a smoke run or a soak). */
const WARM_UP_SECONDS = 20;

/**
 * A fresh service process on a fresh database is slower for its first tens of seconds than a
 * wallet that has been running: V8 compiles the hot paths and grows its heap, Postgres extends the
 * new tables' files and autovacuum first analyses them. The first pay scenario paid for all of it
 * (the 09:45 run of 2026-12-06: pay 0.41 x S first, 0.52 x S for the same pays minutes later), so
 * the service now takes WARM_UP_SECONDS of pays before any scenario is measured, floors included.
 */
async function warmUp(scenarios: readonly Scenario[], ctx: BenchContext): Promise<void> {
  if (ctx.options.smoke || ctx.options.soakSeconds || scenarios.every((s) => s.name.startsWith('floor'))) return;
  const job = payJob(ctx, { name: 'warm-up', prefix: `${ctx.runId}-warm-`, connections: ctx.options.connections, seconds: WARM_UP_SECONDS });
  const outcome = await runLoad(job, ctx.logDir);
  const rps = outcome.status === 'ok' ? outcome.targets.reduce((n, t) => n + t.rps, 0) : 0;
  log(`warm-up: ${WARM_UP_SECONDS} s of pays, ${Math.round(rps)} req/s (not measured)`);
}

/** Each scenario in turn; a scenario that throws is a failed row and the rest still run. */
async function runScenarios(scenarios: readonly Scenario[], ctx: BenchContext, rows: Row[]): Promise<boolean> {
  let failed = false;
  for (const scenario of scenarios) {
    log(`> ${scenario.name}`);
    let produced: Row[];
    try {
      produced = await scenario.run(ctx);
    } catch (err) {
      failed = true;
      const message = err instanceof Error ? err.message : String(err);
      produced = [{ scenario: scenario.name, label: scenario.name, status: 'failed', reason: message.split('\n')[0], notes: [message] }];
    }
    for (const r of produced) {
      log(`  ${r.label.trim()}: ${r.status === 'ok' ? `${Math.round(r.rate ?? 0)} ${r.unit}, p99 ${r.p99Ms ?? '-'} ms ${codesText(r)}` : `${r.status} (${r.reason})`}`);
    }
    rows.push(...produced);
    if (ctx.service.child.exited()) throw new Error(`the service died during ${scenario.name}:\n${ctx.service.child.tail()}`);
  }
  return failed;
}

function report(o: {
  options: BenchOptions;
  rows: readonly Row[];
  targets: readonly TargetCheck[];
  synchronousCommit: string;
  serviceStartRssMb: number;
  servicePeakRssMb: number;
  profile: readonly string[] | undefined;
}): string {
  const { options } = o;
  const span = options.soakSeconds ? `${options.soakSeconds} s soak` : `${options.durationSeconds} s per scenario`;
  return [
    '',
    textTable(o.rows),
    '',
    `service RSS ${o.serviceStartRssMb.toFixed(0)} MB after start, peak (VmHWM) ${o.servicePeakRssMb.toFixed(0)} MB; synchronous_commit=${o.synchronousCommit}; ${span}`,
    ...notesText(o.rows).map((n) => `- ${n}`),
    ...(o.targets.length ? ['', 'targets (issues 20 and 8):', ...o.targets.map((t) => `  ${t.verdict.padEnd(7)} ${t.target}: ${t.measured}`)] : []),
    ...(o.profile ? ['', ...o.profile] : []),
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2), process.env);
  const scenarios = chooseScenarios(options);
  const started = new Date();
  const loadAverageAtStart = loadavg()[0]!;
  const runId = `b${started.getTime().toString(36)}`;
  const logDir = mkdtempSync(join(tmpdir(), 'mpp-bench-'));
  let db: BenchDatabase | undefined;
  let standIn: { stop(): Promise<void> } | undefined;
  let failed = false;

  // ctrl-c or a kill: stop what we started (by pid) and drop the database before leaving.
  const cleanup = async () => {
    await standIn?.stop();
    await Promise.all(runningChildren().map((c) => c.stop(3000)));
    await db?.drop().catch((err: unknown) => log(`could not drop ${db?.name}: ${String(err)}`));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`\n${signal}: stopping the bench's processes and dropping its database`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    log(`load average ${loadAverageAtStart.toFixed(1)} on ${availableParallelism()} cores at start`);
    log(`bench ${runId}: ${scenarios.map((s) => s.name).join(', ')} (${options.durationSeconds} s each, ${options.connections} connections; logs in ${logDir})`);
    log(`service built for \`npm start\` (npm run build) in ${buildService().toFixed(1)} s`);
    db = await createBenchDatabase(DATABASE_URL, `bench_${stamp(started)}_${process.pid}`);
    const settings = await db.pool.query<{ sc: string; v: string }>(`select current_setting('synchronous_commit') as sc, current_setting('server_version') as v`);
    const synchronousCommit = settings.rows[0]!.sc;
    log(`database ${db.name} migrated; synchronous_commit=${synchronousCommit}`);
    const autovacuum = await db.pool.query<{ on: string }>(`select current_setting('autovacuum') as on`);
    if (autovacuum.rows[0]?.on === 'off') {
      standIn = autovacuumStandIn(db.pool, log);
      log('autovacuum is off on this server: the bench does its work on the bench database (database.ts, autovacuumStandIn)');
    }

    const p = await startProcesses(options, runId, db, logDir);
    // A wallet's pays come from many users: the pay scenarios spread over these customers.
    const customerIds = Array.from({ length: BENCH_CUSTOMERS }, (_v, i) => `bench-${runId}-c${i}`);
    for (const customerId of customerIds) {
      const created = await opsPost(p.service.url, '/ops/v1/customers', { customerId, currency: 'KRW', status: 'NORMAL' });
      if (created.status !== 201) throw new Error(`customer not created: ${created.status} ${created.text}`);
    }
    const customerId = customerIds[0]!;

    const rows: Row[] = [];
    const windows: (readonly [number, number])[] = [];
    const ctx: BenchContext = {
      options,
      runId,
      logDir,
      db,
      redisUrl: REDIS_URL,
      floor: p.floor,
      fake: p.fake,
      service: p.service,
      customerId,
      customerIds,
      rows,
      facts: new Map(),
      startService: p.startAnother,
      measure: (job, processes, hooks) => measure(job, processes, logDir, windows, ctx.db, hooks),
      log,
    };
    await warmUp(scenarios, ctx);
    failed = await runScenarios(scenarios, ctx, rows);

    const servicePeakRssMb = p.service.sampler.peakMb();
    const serviceStartRssMb = p.service.sampler.series()[0]?.rssMb ?? 0;
    // The service writes its CPU profile as it exits.
    await Promise.all([p.service.stop(), p.floor.child.stop(), p.fake.child.stop()]);
    let profile: string[] | undefined;
    if (options.profile) {
      const file = newestProfile(PROFILE_DIR, started.getTime());
      profile = file ? summariseProfile(file, windows) : ['no .cpuprofile was written (did the service exit cleanly?)'];
    }

    // Every target in a full run; in a partial one (--only, --profile, --soak) those it measured.
    const partial = Boolean(options.only || options.profile || options.soakSeconds);
    const targets = options.smoke ? [] : checkTargets(rows, servicePeakRssMb).filter((t) => !partial || t.verdict !== 'n/a');
    process.stdout.write(report({ options, rows, targets, synchronousCommit, serviceStartRssMb, servicePeakRssMb, profile }));
    if (options.record) {
      const written = recordRun({
        machine: machine(`PostgreSQL ${settings.rows[0]!.v}`),
        options,
        command,
        synchronousCommit,
        loadAverageAtStart,
        serviceStartRssMb,
        servicePeakRssMb,
        rows,
        targets,
        ...(profile ? { profile } : {}),
      });
      log(`recorded in ${written.jsonl} and ${written.markdown}`);
    }
    return failed ? 1 : 0;
  } catch (err) {
    failed = true;
    log(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanup();
    if (failed || process.env.BENCH_KEEP_LOGS) log(`logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * `npm run build`, so the bench measures what `npm start` serves (dist/, plain node) and never a
 * stale build. Returns the seconds it took.
 */
function buildService(): number {
  const t0 = performance.now();
  const out = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repoDir, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`npm run build failed:\n${out.stdout}${out.stderr}`);
  return (performance.now() - t0) / 1000;
}

/** How many customers the bench creates (a wallet's pays come from many users, not one). */
const BENCH_CUSTOMERS = 200;

/** What the server wrote to its WAL between two readings. */
function walDelta(a: WalCounters | undefined, b: WalCounters | undefined): WalCounters | undefined {
  if (!a || !b) return undefined;
  return { bytes: b.bytes - a.bytes, fullPageImages: b.fullPageImages - a.fullPageImages, checkpoints: b.checkpoints - a.checkpoints };
}

/** Runs a load job and measures `processes` (and the machine) over its timed window. */
async function measure(
  job: LoadJob,
  processes: readonly ProcessSampler[],
  logDir: string,
  windows: (readonly [number, number])[],
  db: BenchDatabase,
  hooks: { onStart?: () => void; onEnd?: () => void } = {},
): Promise<Measured> {
  let open: ReturnType<ProcessSampler['window']>[] = [];
  let ended: { rssPeakMb: number; cpuPercent: number | undefined }[] = [];
  let machine0 = machineCpuSeconds();
  let machine1 = machine0;
  let postgres: ReturnType<typeof cpuWindowOf> | undefined;
  let postgresSeconds: number | undefined;
  let wal0: Promise<WalCounters | undefined> = Promise.resolve(undefined);
  let wal1: Promise<WalCounters | undefined> = Promise.resolve(undefined);
  const outcome = await runLoad(job, logDir, {
    onStart: () => {
      wal0 = walCounters(db.pool);
      open = processes.map((p) => p.window());
      machine0 = machineCpuSeconds();
      postgres = cpuWindowOf('postgres');
      hooks.onStart?.();
    },
    onEnd: () => {
      ended = open.map((w) => w.end());
      machine1 = machineCpuSeconds();
      postgresSeconds = postgres?.end();
      wal1 = walCounters(db.pool);
      hooks.onEnd?.();
    },
  });
  if (outcome.status === 'ok') windows.push(outcome.windowMicros);
  const wall = machine1.total - machine0.total;
  const cores = availableParallelism();
  const percentOfCore = (seconds: number) => (wall > 0 ? (seconds / wall) * cores * 100 : 0);
  return {
    outcome,
    windows: ended,
    machineCpuPercent: percentOfCore(machine1.busy - machine0.busy),
    // Not known when Postgres is not on this machine (a DATABASE_URL elsewhere).
    postgresCpuPercent: postgresSeconds === undefined ? undefined : percentOfCore(postgresSeconds),
    wal: walDelta(await wal0, await wal1),
  };
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(String(err));
    process.exit(1);
  },
);
