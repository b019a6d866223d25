/**
 * What one identify request (§6, POST /app/v1/codes/identify) costs the service's CPU over real
 * HTTP, code by code, without the rest of `npm run bench` around it:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
 *     npx tsx bench/identify-http.ts [requests=60000] [codes=0,1,2,3,4,5]
 *
 * The app is built as `npm start` builds it (buildApp, the production logger at LOG_LEVEL=warn; the
 * per-client rate limits off, as the bench has them) with the bench's 1,000 Alipay+ rules as its
 * preset and 10,000 list entries added through the ops API, and listens on a port of this process.
 * A second process (this file with `--load`) sends the requests with autocannon at 50
 * connections, cycling through the chosen codes of bench/lib/code-rules.ts's sample (0 the order
 * code, 1 the EMVCo QR, 2 the entry code, 3 the allowlisted code, 4 the local code, 5 a code
 * nothing matches). Five rounds after one to warm up; for each, this process's CPU a request (user
 * and system, so the HTTP work and the answer's write are in it) and the load's rate. The
 * database holds the lists only: a schema of its own on DATABASE_URL, dropped at the end (an
 * in-memory PGlite without it).
 *
 * docs/performance.md (the fifteenth round) has its figures: the bench's six codes in turn at a
 * median of 61 µs a request, from 36 µs (the local code) to 86 (the entry code), against 0.2 to 9 µs
 * of matching each (bench/identify.ts).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildApp } from '../src/app.ts';
import { loggerOptions } from '../src/http/server-options.ts';
import { resolveSecrets } from '../src/secrets.ts';
import { appJwt, opsHeaders, testConfig, testDatabase, testKv } from '../test/support/harness.ts';
import { generateCodeRules, generateListEntries, sampleCodeValues } from './lib/code-rules.ts';

const PATH = '/app/v1/codes/identify';
const CONNECTIONS = 50;

interface LoadResult {
  readonly rps: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** The load process: `--load <url> <jwt> <requests> <bodies as JSON>`; prints one LoadResult. */
async function load(args: readonly string[]): Promise<void> {
  const [url, jwt, requests, bodiesJson] = args as [string, string, string, string];
  const bodies = JSON.parse(bodiesJson) as string[];
  let next = 0;
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    amount: Number(requests),
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  });
  const result: LoadResult = { rps: r.requests.average, non2xx: r.non2xx, errors: r.errors };
  console.log(JSON.stringify(result));
}

/** One round: the load process run to its end; this process's CPU a request over it. */
function round(url: string, jwt: string, requests: number, bodies: readonly string[]): Promise<{ userUs: number; systemUs: number; rps: number }> {
  return new Promise((resolve, reject) => {
    const cpu0 = process.cpuUsage();
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--load', url, jwt, String(requests), JSON.stringify(bodies)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const cpu = process.cpuUsage(cpu0);
      if (code !== 0) return reject(new Error(`the load process exited with ${code}`));
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult;
      if (r.non2xx > 0 || r.errors > 0) return reject(new Error(`${r.non2xx} answers not 2xx, ${r.errors} errors`));
      resolve({ userUs: cpu.user / requests, systemUs: cpu.system / requests, rps: r.rps });
    });
  });
}

async function measure(requests: number, picked: readonly number[]): Promise<void> {
  const config = testConfig({ LOG_LEVEL: 'warn', RATE_LIMIT_APP_PER_MINUTE: '0', RATE_LIMIT_OPS_PER_MINUTE: '0' });
  const database = await testDatabase();
  const kv = testKv();
  const built = await buildApp({
    config,
    secrets: resolveSecrets(config),
    database,
    kv,
    clock: { now: () => new Date() },
    logger: loggerOptions(config),
    codeRulesSource: null,
    presetCodeRules: async () => ({
      result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
      version: 'bench',
      codeRules: generateCodeRules(1000),
    }),
  });
  try {
    await built.start();
    for (const e of generateListEntries(10_000)) {
      const res = await built.app.inject({
        method: 'POST',
        url: `/ops/v1/codeLists/${e.kind}/entries`,
        headers: opsHeaders(),
        payload: { patternType: e.patternType, pattern: e.pattern },
      });
      if (res.statusCode >= 300) throw new Error(`list entry refused: ${res.statusCode} ${res.body}`);
    }
    const address = await built.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `${address}${PATH}`;
    const jwt = await appJwt('C_IDENTIFY_HTTP');
    const samples = sampleCodeValues();
    const bodies = picked.map((i) => JSON.stringify({ codeValue: samples.all[i] }));
    // The answers say the lists applied: the allowlisted code is ours once the cache has them.
    const check = await built.app.inject({
      method: 'POST',
      url: PATH,
      headers: { authorization: `Bearer ${jwt}` },
      payload: { codeValue: samples.allowlisted },
    });
    if (check.json().source !== 'ALLOWLIST') throw new Error(`the allowlisted sample was identified as ${check.body}`);
    await round(url, jwt, Math.ceil(requests / 3), bodies);
    const rounds = [];
    for (let i = 0; i < 5; i++) rounds.push(await round(url, jwt, requests, bodies));
    const totals = rounds.map((r) => r.userUs + r.systemUs).sort((a, b) => a - b);
    for (const r of rounds)
      console.log(
        `  ${(r.userUs + r.systemUs).toFixed(1)} µs a request (user ${r.userUs.toFixed(1)}, system ${r.systemUs.toFixed(1)}) at ${Math.round(r.rps)} requests a second`,
      );
    console.log(`codes ${picked.join(',')}: median ${totals[2]!.toFixed(1)} µs of the service's CPU a request`);
  } finally {
    await built.app.close();
    await database.close();
    await kv.close();
  }
}

if (process.argv[2] === '--load') {
  await load(process.argv.slice(3));
} else {
  const requests = Number(process.argv[2] ?? 60_000);
  const picked = (process.argv[3] ?? '0,1,2,3,4,5').split(',').map(Number);
  if (picked.some((i) => !(i >= 0 && i <= 5))) throw new Error('codes are indices 0 to 5 of the bench sample');
  await measure(requests, picked);
}
