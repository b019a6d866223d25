/**
 * Where a run is kept: one JSON line per run appended to bench/results/results.jsonl, and a
 * readable markdown section appended to bench/results/<date>-<hostname>.md.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { repoDir } from '../../test/support/shared.ts';
import type { BenchOptions, Row } from './context.ts';
import { SERVICE_THREADPOOL_SIZE } from './service.ts';
import { markdownTable, notesText } from './table.ts';
import type { TargetCheck } from './targets.ts';

export const RESULTS_DIR = join(repoDir, 'bench', 'results');

export interface Machine {
  readonly date: string;
  readonly hostname: string;
  readonly uname: string;
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly commit: string;
  readonly postgres: string;
  /** UV_THREADPOOL_SIZE of the service and of the floor server (asynchronous signing runs there). */
  readonly threadPoolSize: string;
}

const run = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { cwd: repoDir, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

export function machine(postgres: string): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']) !== '' ? '+dirty' : '';
  return {
    date: new Date().toISOString(),
    hostname: hostname(),
    uname: run('uname', ['-a']),
    nproc: Number(run('nproc', [])),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    node: process.version,
    commit: `${run('git', ['rev-parse', '--short', 'HEAD'])}${dirty}`,
    postgres,
    threadPoolSize: process.env.UV_THREADPOOL_SIZE ?? `service ${SERVICE_THREADPOOL_SIZE} (npm start's default), floors 4 (Node's default)`,
  };
}

export interface RunRecord {
  readonly machine: Machine;
  readonly options: BenchOptions;
  readonly command: string;
  readonly synchronousCommit: string;
  /** The machine's 1-minute load average when the run began (others' work skews the numbers). */
  readonly loadAverageAtStart: number;
  readonly serviceStartRssMb: number | undefined;
  readonly servicePeakRssMb: number | undefined;
  readonly rows: readonly Row[];
  readonly targets: readonly TargetCheck[];
  readonly profile?: readonly string[];
}

export function recordRun(r: RunRecord): { jsonl: string; markdown: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonl = join(RESULTS_DIR, 'results.jsonl');
  appendFileSync(jsonl, `${JSON.stringify(r)}\n`);
  const markdown = join(RESULTS_DIR, `${r.machine.date.slice(0, 10)}-${r.machine.hostname}.md`);
  const m = r.machine;
  const lines = [
    `## ${m.date} — commit ${m.commit}`,
    '',
    `\`${r.command}\` — ${r.options.durationSeconds} s per scenario, ${r.options.connections} connections`,
    '',
    `Machine: ${m.nproc} x ${m.cpuModel}, node ${m.node}, ${m.postgres}, synchronous_commit=${r.synchronousCommit}, load average ${r.loadAverageAtStart.toFixed(1)} at start, UV_THREADPOOL_SIZE ${m.threadPoolSize}  `,
    `\`${m.uname}\``,
    '',
    markdownTable(r.rows),
    '',
    `Service RSS: ${r.serviceStartRssMb?.toFixed(0) ?? '-'} MB after start, peak (VmHWM) ${r.servicePeakRssMb?.toFixed(0) ?? '-'} MB`,
    '',
    ...(r.targets.length ? ['Targets (issues 20 and 8):', '', ...r.targets.map((t) => `- ${t.verdict}: ${t.target} — ${t.measured}`), ''] : []),
    ...(notesText(r.rows).length ? ['Notes:', '', ...notesText(r.rows).map((n) => `- ${n}`), ''] : []),
    ...(r.profile ? ['CPU profile, top self time:', '', '```', ...r.profile, '```', ''] : []),
  ];
  appendFileSync(markdown, `${existsSync(markdown) ? '\n' : `# Bench results, ${m.date.slice(0, 10)}, ${m.hostname}\n\n`}${lines.join('\n')}\n`);
  return { jsonl, markdown };
}
