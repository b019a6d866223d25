/**
 * The load side of the bench, a process of its own so the load generator's CPU is not the
 * service's: reads a LoadJob (bench/lib/load-job.ts) from the file named on the command line,
 * prepares the bodies (pre-signing them when signed), sends a validation pass and summarises the
 * answers, then runs autocannon against each target and prints JSON lines on stdout.
 *
 *   node --import tsx bench/load.ts <job.json>
 */
import { readFileSync } from 'node:fs';
import { loadPublicKey, parseSignatureHeader, verify } from '../src/alipayplus/signature.ts';
import autocannon from 'autocannon';
import type { LoadEvent, LoadJob, TargetResult, ValidationSummary } from './lib/load-job.ts';
import { type Cursor, type PreparedRequest, SignedPool, UnsignedSource } from './lib/request-pool.ts';

const emit = (e: LoadEvent) => process.stdout.write(`${JSON.stringify(e)}\n`);
const progress = (msg: string) => process.stderr.write(`  [load] ${msg}\n`);
const micros = () => Number(process.hrtime.bigint() / 1000n);

/** `200 U PAYMENT_IN_PROCESS` (plus `source` for identification) from one answer. */
function answerKey(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { result?: { resultCode?: string; resultStatus?: string }; source?: string };
    const r = body.result;
    const parts = [String(status), r?.resultStatus ?? '?', r?.resultCode ?? '(no result)'];
    if (typeof body.source === 'string') parts.push(body.source);
    return parts.join(' ');
  } catch {
    return `${status} (not JSON)`;
  }
}

async function validationPass(job: LoadJob, cursor: Cursor): Promise<ValidationSummary> {
  const codes: Record<string, number> = {};
  const responseKey = job.signing?.responseKeyPath ? loadPublicKey(readFileSync(job.signing.responseKeyPath, 'utf8')) : undefined;
  let signatureValid = 0;
  let firstBody: string | undefined;
  let sent = 0;
  const target = job.targets[0]!;
  const one = async (req: PreparedRequest) => {
    const res = await fetch(`${target}${job.path}`, { method: job.method, headers: req.headers, body: job.method === 'GET' ? undefined : req.body });
    const text = await res.text();
    sent++;
    firstBody ??= text.slice(0, 300);
    const key = answerKey(res.status, text);
    codes[key] = (codes[key] ?? 0) + 1;
    const sig = parseSignatureHeader(res.headers.get('signature') ?? undefined);
    if (responseKey && sig) {
      const ok = await verify(
        { method: job.method, uri: job.path, clientId: res.headers.get('client-id') ?? '', time: res.headers.get('response-time') ?? '', body: text },
        sig.signature,
        responseKey,
      );
      if (ok) signatureValid++;
    }
    return res.status;
  };
  // The first request alone: a missing route answers 404 and the rest is skipped.
  const first = await one(cursor.next());
  if (first === 404) return { codes, sent, firstBody };
  const rest = Array.from({ length: Math.max(0, job.validate - 1) }, () => cursor.next());
  for (let i = 0; i < rest.length; i += 4) await Promise.all(rest.slice(i, i + 4).map(one));
  return { codes, sent, firstBody, ...(responseKey ? { signatureValid } : {}) };
}

async function fire(job: LoadJob, target: string, connections: number, seconds: number, cursor: Cursor): Promise<TargetResult> {
  const result = await autocannon({
    url: target,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: job.method,
        path: job.path,
        setupRequest: (req) => {
          const next = cursor.next();
          req.headers = { ...next.headers };
          if (job.method !== 'GET') req.body = next.body;
          return req;
        },
      },
    ],
  });
  const requests = result.requests.total;
  return {
    target,
    connections,
    requests,
    durationSeconds: result.duration,
    rps: requests / result.duration,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
  const source = job.signing ? new SignedPool(job) : new UnsignedSource(job);
  if (source instanceof SignedPool) {
    await source.prepare(job.presign ?? 10_000);
    const s = source.summary();
    progress(`${job.name}: ${s.prepared} bodies signed in ${s.prepareSeconds.toFixed(1)} s`);
  }
  // Each target walks the same bodies: with several targets, every body reaches every instance.
  const single = job.targets.length === 1;
  const cursors = job.targets.map(() => (source instanceof SignedPool ? source.cursor({ release: single && job.refill }) : source.cursor()));

  const validation = await validationPass(job, cursors[0]!);
  if (Object.keys(validation.codes).every((k) => k.startsWith('404 '))) {
    emit({ event: 'result', status: 'route-missing', validation });
    return;
  }
  // The other cursors skip what the validation pass used, so they stay in step with the first.
  for (const c of cursors.slice(1)) for (let i = 0; i < validation.sent; i++) c.next();

  const split = (i: number) => Math.floor(job.connections / job.targets.length) + (i < job.connections % job.targets.length ? 1 : 0);
  if (job.warmupSeconds) {
    await Promise.all(job.targets.map((t, i) => fire(job, t, split(i), job.warmupSeconds!, cursors[i]!)));
  }
  emit({ event: 'start' });
  const from = micros();
  const cpu = process.cpuUsage();
  const targets = await Promise.all(job.targets.map((t, i) => fire(job, t, split(i), job.durationSeconds, cursors[i]!)));
  const to = micros();
  const used = process.cpuUsage(cpu);
  const loadCpuPercent = ((used.user + used.system) / (to - from)) * 100;
  if (source instanceof SignedPool) source.stop();
  emit({ event: 'result', status: 'ok', validation, targets, pool: source.summary(), windowMicros: [from, to], loadCpuPercent });
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
