/**
 * Per-call cost of code identification (§6) at production scale: identifyCode against 1,000
 * Alipay+ rules (PREFIX, REGEX and EMVCO mixed) and 10,000 list entries (mostly prefixes, one
 * regex in 500), in the mode the service defaults to (ALLOWLIST). A script, not a test:
 *
 *   npx tsx bench/identify.ts [calls=20000]
 *
 * Prints median / p99 / max microseconds per call over a mix of codes that end in every branch
 * (local, allowlist, a rule buried near the end, EMVCo parse, no match at all, a long code), and
 * one JSON line for `npm run bench` to collect.
 */
import { performance } from 'node:perf_hooks';
import { compileCodeLists, identifyCode } from '../src/domain/codes/lists.ts';
import { compileCodeRules } from '../src/domain/codes/rules.ts';
// The scale test's rules, list entries and QR builder: both measure the same set.
import { merchantQr, tenThousandEntries, thousandRules } from '../test/unit/codes/fixtures.ts';
import { corpus, corpusIssuer, sandboxLikeRules } from '../test/fixtures/codes/sandbox-like.ts';

const CALLS = Number(process.argv[2] ?? 20_000);

const compileStart = performance.now();
const { ruleSet, rejected } = compileCodeRules('bench-1', thousandRules());
const compiledLists = compileCodeLists(tenThousandEntries());
const compileMs = performance.now() - compileStart;
if (rejected.length > 0 || compiledLists.rejected.length > 0) throw new Error('bench fixtures did not compile');

const codes = [
  'https://m9997.mywallet.example/pay?x=1', // allowlist prefix
  'https://M9999.MYWALLET.EXAMPLE/pay', // local prefix, upper case
  'MW9000-AB123456', // local regex
  merchantQr([
    [
      '26',
      [
        ['00', 'com.alipayplus'],
        ['01', '2188120000123456'],
      ],
    ],
  ]), // EMVCo rule after 332 EMVCo misses
  'https://qr.alipayplus.com/281666130000000012345', // prefix rule near the end
  'P997-123456', // a regex that almost matches many
  'https://nobody.example/pay/0123456789', // no match at all
  `28${'7'.repeat(1000)}`, // a long numeric code, no match
];

const identify = (codeValue: string) => identifyCode({ mode: 'ALLOWLIST', lists: compiledLists.lists, ruleSet, codeValue, issuer: 'SANDBOX_CLIENT' });

// Warm up the JIT on every branch.
for (let i = 0; i < 2_000; i++) identify(codes[i % codes.length] as string);

const samples = new Float64Array(CALLS);
let sink = 0;
for (let i = 0; i < CALLS; i++) {
  const code = codes[i % codes.length] as string;
  const t0 = performance.now();
  const answer = identify(code);
  samples[i] = (performance.now() - t0) * 1000;
  sink += answer.isAcCode ? 1 : 0;
}
samples.sort();
const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
const perCode = codes.map((code) => {
  const t0 = performance.now();
  for (let i = 0; i < 500; i++) identify(code);
  return { code: code.length > 48 ? `${code.slice(0, 45)}...` : code, us: Number((((performance.now() - t0) * 1000) / 500).toFixed(2)) };
});

const summary = {
  bench: 'identifyCode',
  rules: ruleSet.rules.length,
  listEntries: 10_000,
  calls: CALLS,
  compileMs: Number(compileMs.toFixed(1)),
  medianUs: Number(at(0.5).toFixed(2)),
  p99Us: Number(at(0.99).toFixed(2)),
  maxUs: Number(at(1).toFixed(2)),
};
console.log(`identifyCode, ${summary.rules} rules + ${summary.listEntries} list entries, ${CALLS} calls (compile ${summary.compileMs} ms)`);
console.log(`  median ${summary.medianUs} us, p99 ${summary.p99Us} us, max ${summary.maxUs} us`);
for (const p of perCode) console.log(`  ${String(p.us).padStart(8)} us  ${p.code}`);
console.log(JSON.stringify(summary));

// The sandbox-shaped set (test/fixtures/codes/sandbox-like.ts, several hundred rules) on its own corpus.
const sandbox = compileCodeRules('sandbox-like', sandboxLikeRules(200)).ruleSet;
const corpusCodes = corpus().map((c) => c.code);
const sandboxIdentify = (codeValue: string) => identifyCode({ mode: 'ALLOWLIST', lists: compiledLists.lists, ruleSet: sandbox, codeValue, issuer: corpusIssuer });
for (let i = 0; i < 2_000; i++) sandboxIdentify(corpusCodes[i % corpusCodes.length] as string);
const t1 = performance.now();
for (let i = 0; i < CALLS; i++) sandboxIdentify(corpusCodes[i % corpusCodes.length] as string);
const sandboxUs = Number((((performance.now() - t1) * 1000) / CALLS).toFixed(2));
console.log(`identifyCode, sandbox-like set of ${sandbox.rules.length} rules, ${corpusCodes.length} corpus codes: mean ${sandboxUs} us`);
console.log(JSON.stringify({ bench: 'identifyCode-sandbox-like', rules: sandbox.rules.length, calls: CALLS, meanUs: sandboxUs }));
if (sink < 0) console.log(sink);
