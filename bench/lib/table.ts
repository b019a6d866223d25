/** The one table the bench prints (plain text for the terminal, markdown for bench/results). */
import type { Row } from './context.ts';

const HEAD = ['scenario', 'conns', 'rate', 'p50 ms', 'p99 ms', 'x F', 'x S', 'non-2xx/err', 'RSS MB', 'CPU %', 'CPU µs/req svc+pg+gen', 'validation answers'];

/** The floor a row is read against: same connections when there is one. */
function floorFor(rows: readonly Row[], name: 'floor' | 'signed-floor', r: Row): Row | undefined {
  const floors = rows.filter((f) => f.status === 'ok' && (f.scenario === name || f.scenario.startsWith(`${name}-`)));
  return floors.find((f) => f.connections === r.connections);
}

/** `13,354`: a count or rate rounded, with thousands separators, as the notes write them. */
export const countText = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `+16%` or `-4%`: how much `now` differs from `before`, signed, as the notes write it. */
export const changeText = (now: number, before: number): string => `${now >= before ? '+' : ''}${((now / before - 1) * 100).toFixed(0)}%`;

const num = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? '' : n.toFixed(digits));

/** `1060+180+100`: the service's, Postgres's and the load generator's CPU per request (µs). */
function cpuSplitText(r: Row): string {
  const c = r.cpuPerRequest;
  if (!c || c.serviceUs === undefined) return '';
  return [c.serviceUs, c.postgresUs, c.loadUs].map((v) => (v === undefined ? '?' : v.toFixed(0))).join('+');
}

function rateText(r: Row): string {
  if (r.status !== 'ok') return `${r.status}${r.reason ? ` (${r.reason})` : ''}`;
  const unit = r.unit && r.unit !== 'req/s' ? ` ${r.unit}` : '';
  return `${Math.round(r.rate ?? 0)}${unit}`;
}

/** `U PAYMENT_IN_PROCESS x20`, with `!` in front when an answer was not one the scenario expects. */
export function codesText(r: Row): string {
  if (!r.codes) return '';
  const text = Object.entries(r.codes)
    .map(([k, n]) => `${k.replace(/^200 /, '')} x${n}`)
    .join(', ');
  return r.codesAsExpected === false ? `! ${text}` : text;
}

export function cells(rows: readonly Row[]): string[][] {
  return rows.map((r) => {
    const sameUnit = r.status === 'ok' && (r.unit ?? 'req/s') === 'req/s';
    const F = sameUnit ? floorFor(rows, 'floor', r) : undefined;
    const S = sameUnit ? floorFor(rows, 'signed-floor', r) : undefined;
    return [
      r.label,
      r.connections === undefined ? '' : String(r.connections),
      rateText(r),
      num(r.p50Ms),
      num(r.p99Ms),
      F ? num((r.rate ?? 0) / F.rate!, 2) : '',
      S ? num((r.rate ?? 0) / S.rate!, 2) : '',
      r.non2xx === undefined ? '' : `${r.non2xx}/${r.errors ?? 0}`,
      num(r.rssPeakMb),
      num(r.cpuPercent),
      cpuSplitText(r),
      codesText(r),
    ];
  });
}

export function textTable(rows: readonly Row[]): string {
  const body = cells(rows);
  // A row that did not run says why after its label, across the columns it leaves empty.
  const measured = body.filter((_, i) => rows[i]!.status === 'ok');
  const widths = HEAD.map((h, i) => Math.max(h.length, ...(i === 0 ? body : measured).map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => (i === 0 || i === c.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const notRun = (c: readonly string[]) => `${c[0]!.padEnd(widths[0]!)}  ${''.padStart(widths[1]!)}  ${c[2]}`;
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map((c, i) => (rows[i]!.status === 'ok' ? line(c) : notRun(c)))].join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const esc = (v: string) => v.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map((_, i) => (i === 0 || i === HEAD.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...cells(rows).map((c) => `| ${c.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The notes under the table: one line per note, prefixed by the row's label. */
export function notesText(rows: readonly Row[]): string[] {
  return rows.flatMap((r) => (r.notes ?? []).map((n) => `${r.label.trim()}: ${n}`));
}
