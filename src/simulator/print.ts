/**
 * Readable protocol traces for the simulator: every call it makes or receives, one block each,
 * with the result status highlighted (S green, U yellow, F red), amounts folded into
 * `JPY 100`, and tokens shortened unless asked for in full. Meant for a person following the
 * protocol in a terminal; tests pass `silentPrinter`.
 */

export interface Printer {
  /** A message going out (`→`) or coming in (`⇠`). */
  request(m: TracedRequest): void;
  /** The answer to it. */
  response(m: TracedResponse): void;
  /** A free line (a heading, a hint). */
  note(text: string): void;
}

export interface TracedRequest {
  readonly direction: 'out' | 'in';
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
  /** For received requests: whether our peer's signature verified. */
  readonly signatureValid?: boolean;
  /** Who is calling whom, when it is not Alipay+ and the MPP (e.g. the wallet app). */
  readonly actor?: string;
}

export interface TracedResponse {
  readonly direction: 'out' | 'in';
  readonly status: number;
  readonly body: unknown;
  /** Whether the answer's signature verified (answers we receive) or was made valid (answers we send). */
  readonly signatureValid?: boolean;
  readonly elapsedMs?: number;
  /** What the simulator did on purpose (a switch that made it fail). */
  readonly forced?: string;
}

export const silentPrinter: Printer = { request() {}, response() {}, note() {} };

const SECRET_KEYS = new Set(['authCode', 'accessToken', 'refreshToken']);
/** Request details that only add noise in the summary; `verbose` shows them. */
const NOISY_PATHS = /^order\.merchant\.(merchantAddress|store)\.|^order\.env\./;

interface Style {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

function style(color: boolean): Style {
  const wrap = (code: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { green: wrap(32), yellow: wrap(33), red: wrap(31), dim: wrap(2), bold: wrap(1) };
}

function isAmount(v: unknown): v is { currency: string; value: string } {
  return (
    typeof v === 'object' &&
    v !== null &&
    Object.keys(v).length === 2 &&
    typeof (v as Record<string, unknown>).currency === 'string' &&
    typeof (v as Record<string, unknown>).value === 'string'
  );
}

function shorten(key: string, value: string, showSecrets: boolean): string {
  if (showSecrets || !SECRET_KEYS.has(key) || value.length <= 10) return value;
  return `${value.slice(0, 6)}…(${value.length} chars)`;
}

/** `path: value` lines of every scalar leaf, amounts folded, `result` left to the headline. */
export function keyFields(body: unknown, o: { verbose?: boolean; showSecrets?: boolean } = {}): string[] {
  const lines: string[] = [];
  const walk = (v: unknown, path: string, key: string): void => {
    if (path === 'result' || path === 'paymentResult') return;
    if (!o.verbose && NOISY_PATHS.test(`${path}.`)) return;
    if (isAmount(v)) {
      lines.push(`${path}: ${v.currency} ${v.value}`);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`, key));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k, k);
    } else if (v !== undefined) {
      const text = typeof v === 'string' ? shorten(key, v, o.showSecrets ?? false) : JSON.stringify(v);
      lines.push(`${path}: ${text}`);
    }
  };
  walk(body, '', '');
  return lines;
}

interface ResultLike {
  resultCode?: unknown;
  resultStatus?: unknown;
  resultMessage?: unknown;
}

function resultOf(body: unknown, field: 'result' | 'paymentResult'): ResultLike | undefined {
  const r = (body as Record<string, unknown> | null)?.[field];
  return typeof r === 'object' && r !== null ? (r as ResultLike) : undefined;
}

export interface ConsolePrinterOptions {
  readonly write?: (line: string) => void;
  readonly color?: boolean;
  /** Show every field (merchant address, store) and the full JSON bodies. */
  readonly verbose?: boolean;
  /** Show auth codes and tokens in full (dev keys only: you need them for the next command). */
  readonly showSecrets?: boolean;
}

export function consolePrinter(o: ConsolePrinterOptions = {}): Printer {
  const write = o.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const s = style(o.color ?? Boolean(process.stdout.isTTY && !process.env.NO_COLOR));
  const fieldsOpts = { verbose: o.verbose, showSecrets: o.showSecrets };
  const statusText = (r: ResultLike | undefined, label: string): string | undefined => {
    if (!r) return undefined;
    const status = String(r.resultStatus ?? '?');
    const paint = status === 'S' ? s.green : status === 'U' ? s.yellow : s.red;
    return `${label}${paint(s.bold(`${status} ${String(r.resultCode ?? '?')}`))} ${s.dim(JSON.stringify(r.resultMessage ?? ''))}`;
  };
  const sig = (valid: boolean | undefined, verb: string) => (valid === undefined ? '' : valid ? s.green(`signature ${verb} ✓`) : s.red(`signature ${verb} ✗`));
  const fields = (body: unknown) => {
    for (const line of keyFields(body, fieldsOpts)) write(`    ${line}`);
    if (o.verbose) write(s.dim(`    ${JSON.stringify(body)}`));
  };

  return {
    request(m) {
      const arrow = m.direction === 'out' ? '→' : '⇠';
      const who = m.actor ?? (m.direction === 'out' ? 'Alipay+ (simulator) calls the MPP' : 'the MPP calls Alipay+ (simulator)');
      write('');
      write(`${s.bold(`${arrow} ${m.method} ${m.url}`)}  ${s.dim(who)}`);
      if (m.headers.authorization !== undefined) {
        write(s.dim(`    Authorization: ${m.headers.authorization.split(' ')[0]} [redacted]`));
      } else {
        const shortSig = (m.headers.signature ?? '').replace(/signature=([^,]{12})[^,]*/, 'signature=$1…');
        write(s.dim(`    Client-Id: ${m.headers['client-id'] ?? '-'}  Request-Time: ${m.headers['request-time'] ?? '-'}`));
        write(s.dim(`    Signature: ${shortSig || '-'}`) + (m.signatureValid === undefined ? '' : `  ${sig(m.signatureValid, 'of the MPP')}`));
      }
      const paymentResult = statusText(resultOf(m.body, 'paymentResult'), 'paymentResult: ');
      if (paymentResult) write(`    ${paymentResult}`);
      if (m.body !== undefined) fields(m.body);
    },
    response(m) {
      const arrow = m.direction === 'in' ? '←' : '⇢';
      const headline = statusText(resultOf(m.body, 'result'), '') ?? s.dim('(no result)');
      const took = m.elapsedMs === undefined ? '' : s.dim(` ${m.elapsedMs} ms`);
      const verb = m.direction === 'in' ? 'of the answer' : 'made';
      write(`${arrow} HTTP ${m.status}  ${headline}  ${sig(m.signatureValid, verb)}${took}`);
      if (m.forced) write(s.yellow(`    (forced by a switch: ${m.forced})`));
      const paymentResult = statusText(resultOf(m.body, 'paymentResult'), 'paymentResult: ');
      if (paymentResult) write(`    ${paymentResult}`);
      fields(m.body);
    },
    note(text) {
      write(s.bold(text));
    },
  };
}
