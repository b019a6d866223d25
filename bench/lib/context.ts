/** What a scenario gets (the running processes, the options, earlier rows) and what it returns. */
import type { BenchDatabase, WalCounters } from './database.ts';
import type { LoadHooks } from './load-runner.ts';
import type { LoadJob, LoadOutcome, ValidationSummary } from './load-job.ts';
import type { ProcessSampler } from './sampler.ts';
import type { HelperProcess, RunningService } from './service.ts';

export interface BenchOptions {
  /** CI: every scenario about 2 s, small preloads, no targets checked, nothing recorded. */
  readonly smoke: boolean;
  readonly durationSeconds: number;
  readonly connections: number;
  /** Run only these scenarios (by name). */
  readonly only: readonly string[] | undefined;
  /** `--soak N`: pay for N seconds, RSS every 5 s. */
  readonly soakSeconds: number | undefined;
  /** `--profile <scenario>`: the service runs with --cpu-prof; the top self-time functions are printed. */
  readonly profile: string | undefined;
  /** Append to bench/results (default on, off for smoke). */
  readonly record: boolean;
}

export type RowStatus = 'ok' | 'n/a' | 'failed';

/** One line of the table. */
export interface Row {
  /** The scenario's name (F and S rows are found by it for the ratios). */
  readonly scenario: string;
  readonly label: string;
  readonly status: RowStatus;
  readonly reason?: string;
  readonly connections?: number;
  /** Requests per second, or another rate named by `unit`. */
  readonly rate?: number;
  readonly unit?: 'req/s' | 'closes/s' | 'notifs/s';
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly non2xx?: number;
  readonly errors?: number;
  /** The validation pass: answer -> count. */
  readonly codes?: Readonly<Record<string, number>>;
  /** False when the validation pass saw an answer the scenario does not expect. */
  readonly codesAsExpected?: boolean;
  readonly rssPeakMb?: number;
  readonly cpuPercent?: number;
  readonly cpuPerRequest?: CpuPerRequest;
  readonly notes?: readonly string[];
  /** Figures a target is checked against that have no column (soak RSS). */
  readonly extra?: Readonly<Record<string, number>>;
}

export interface Measured {
  readonly outcome: LoadOutcome;
  /** Per measured process (same order as asked): peak RSS and CPU over the timed window. */
  readonly windows: readonly { rssPeakMb: number; cpuPercent: number | undefined }[];
  /** The machine's busy CPU over the window, in percent of one core (200 = both cores of two). */
  readonly machineCpuPercent: number;
  /** What the local Postgres (all its processes) used over the window, in percent of one core. */
  readonly postgresCpuPercent: number | undefined;
  /** What the server wrote to its WAL over the window, and the checkpoints begun in it. */
  readonly wal?: WalCounters | undefined;
}

/**
 * CPU time per request, in microseconds, of the measured process (the service, or the floor
 * server for F and S), of Postgres, and of the load generator. On a machine whose cores are all
 * busy, a scenario's rate relative to another's is the inverse ratio of their sums.
 */
export interface CpuPerRequest {
  readonly serviceUs: number | undefined;
  readonly postgresUs: number | undefined;
  readonly loadUs: number | undefined;
}

export interface BenchContext {
  readonly options: BenchOptions;
  /** Short and unique per run: it prefixes every id the bench creates. */
  readonly runId: string;
  readonly logDir: string;
  readonly db: BenchDatabase;
  readonly redisUrl: string;
  readonly floor: HelperProcess;
  readonly fake: HelperProcess;
  readonly service: RunningService;
  /** A customer with a KRW wallet, created through the ops API: the single-request scenarios use it. */
  readonly customerId: string;
  /** Customers with KRW wallets (customerId first): the pay loads spread over them, as real traffic does. */
  readonly customerIds: readonly string[];
  /** Rows so far (the floors come first, for the ratios and for sizing the pre-signed pools). */
  readonly rows: readonly Row[];
  /** Facts a scenario leaves for later ones (e.g. an accepted paymentRequestId for inquiryPayment). */
  readonly facts: Map<string, string>;
  /** Another service instance on the same database and Redis. */
  startService(name: string): Promise<RunningService>;
  /** Runs a load job, measuring the given processes over its timed window. */
  measure(job: LoadJob, processes: readonly ProcessSampler[], hooks?: LoadHooks): Promise<Measured>;
  log(message: string): void;
}

export interface Scenario {
  readonly name: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

export const notAvailable = (scenario: string, label: string, reason: string): Row => ({ scenario, label, status: 'n/a', reason });

/** Whether every answer of the validation pass is one the scenario expects. */
export function codesMatch(v: ValidationSummary, expected: readonly string[]): boolean {
  return Object.keys(v.codes).every((k) => expected.some((e) => k.startsWith(e)));
}

const perRequestUs = (percentOfCore: number | undefined, rps: number) => (percentOfCore === undefined || rps <= 0 ? undefined : (percentOfCore / 100 / rps) * 1e6);

export function cpuPerRequest(rps: number, service: number | undefined, postgres: number | undefined, load: number | undefined): CpuPerRequest {
  return { serviceUs: perRequestUs(service, rps), postgresUs: perRequestUs(postgres, rps), loadUs: perRequestUs(load, rps) };
}

/** A table row from a measured load run against one target. */
export function loadRow(
  scenario: string,
  label: string,
  m: Measured,
  o: { expect: readonly string[]; notes?: readonly string[]; extra?: Readonly<Record<string, number>> },
): Row {
  if (m.outcome.status === 'route-missing') return { ...notAvailable(scenario, label, 'route missing'), codes: m.outcome.validation.codes };
  const t = m.outcome.targets[0]!;
  const pool = m.outcome.pool;
  const notes = [...(o.notes ?? [])];
  if (pool.signed && pool.prepared > 1) notes.push(`${pool.prepared} bodies pre-signed in ${pool.prepareSeconds.toFixed(1)} s`);
  if (pool.replays > 0) notes.push(`prepared bodies ran out: ${pool.replays} requests re-sent an already used body`);
  if (pool.refilled > 0) notes.push(`${pool.refilled} more signed during the run`);
  const v = m.outcome.validation;
  if (v.signatureValid !== undefined && v.signatureValid < v.sent) notes.push(`validation: only ${v.signatureValid}/${v.sent} answer signatures verified`);
  const requests = t.rps * ((m.outcome.windowMicros[1] - m.outcome.windowMicros[0]) / 1e6);
  if (m.wal && requests > 0) {
    // Server-wide, like the Postgres CPU column. A checkpoint makes the next write of every page a full-page image.
    notes.push(
      `WAL ${(m.wal.bytes / requests / 1024).toFixed(1)} kB and ${(m.wal.fullPageImages / requests).toFixed(2)} full-page images a request; ${m.wal.checkpoints} checkpoint(s) began in the window`,
    );
  }
  const asExpected = codesMatch(v, o.expect);
  if (!asExpected && v.firstBody) notes.push(`first answer: ${v.firstBody}`);
  return {
    scenario,
    label,
    status: 'ok',
    connections: t.connections,
    rate: t.rps,
    unit: 'req/s',
    p50Ms: t.p50Ms,
    p99Ms: t.p99Ms,
    non2xx: t.non2xx,
    errors: t.errors + t.timeouts,
    codes: v.codes,
    codesAsExpected: asExpected,
    rssPeakMb: m.windows[0]?.rssPeakMb,
    cpuPercent: m.windows[0]?.cpuPercent,
    cpuPerRequest: cpuPerRequest(t.rps, m.windows[0]?.cpuPercent, m.postgresCpuPercent, m.outcome.loadCpuPercent),
    notes,
    ...(o.extra ? { extra: o.extra } : {}),
  };
}
