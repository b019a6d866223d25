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
import { compileCodeLists, identifyCode, type CodeListEntry } from '../src/domain/codes/lists.ts';
import { compileCodeRules } from '../src/domain/codes/rules.ts';

const CALLS = Number(process.argv[2] ?? 20_000);

const matchResult = (routerType: string) => JSON.stringify({ matchResult: JSON.stringify({ routerType }) });
const DECODE = { postCodeMatchActionType: 'DECODE' };

function thousandRules(): unknown[] {
  const rules: unknown[] = [];
  for (let i = 0; i < 997; i++) {
    const priority = 100 + (i % 50);
    const extendInfo = matchResult(`R${i}`);
    if (i % 3 === 0) {
      rules.push({ codeMatchPattern: { matchMethod: 'PREFIX', priority, prefix: `https://qr.partner${i}.example/` }, postCodeMatchAction: DECODE, extendInfo });
    } else if (i % 3 === 1) {
      rules.push({ codeMatchPattern: { matchMethod: 'REGEX', priority, regex: `P${i}-[0-9]{4,12}` }, postCodeMatchAction: DECODE, extendInfo });
    } else {
      const emvMatchRules = [{ primitiveMerchant: false, extendedMerchantTag: '00', extendedMerchantValue: `com.partner${i}` }];
      rules.push({ codeMatchPattern: { matchMethod: 'EMVCO', priority, emvMatchRules }, postCodeMatchAction: DECODE, extendInfo });
    }
  }
  const alipayplusGuid = [{ primitiveMerchant: false, extendedMerchantTag: '00', extendedMerchantValue: 'com.alipayplus' }];
  rules.push({ codeMatchPattern: { matchMethod: 'EMVCO', emvMatchRules: alipayplusGuid }, postCodeMatchAction: DECODE, extendInfo: matchResult('EMV') });
  rules.push({ codeMatchPattern: { matchMethod: 'PREFIX', priority: 9000, prefix: 'https://qr.alipayplus.com/' }, postCodeMatchAction: DECODE, extendInfo: matchResult('PREFIX') });
  rules.push({
    codeMatchPattern: { matchMethod: 'PREFIX', priority: 9001, prefix: 'https://g.alipayplus.com/page/' },
    postCodeMatchAction: { postCodeMatchActionType: 'OPEN_URL', urlConstructionMethod: 'USE_DIRECTLY' },
    extendInfo: matchResult('ENTRY'),
  });
  return rules;
}

function tenThousandEntries(): CodeListEntry[] {
  const entries: CodeListEntry[] = [];
  const kinds = ['LOCAL', 'ALLOWLIST', 'BLOCKLIST'] as const;
  for (let i = 0; i < 10_000; i++) {
    const kind = kinds[i % 3] ?? 'LOCAL';
    if (i % 500 === 0) entries.push({ kind, patternType: 'REGEX', pattern: `MW${i}-[A-Z]{2}[0-9]{6}` });
    else entries.push({ kind, patternType: 'PREFIX', pattern: `https://m${i}.mywallet.example/` });
  }
  return entries;
}

/** EMVCo MPM payload with a merchant template whose sub-tag 00 is `guid`, CRC included. */
function emvQr(guid: string): string {
  const t = (tag: string, v: string) => `${tag}${String(v.length).padStart(2, '0')}${v}`;
  const body = `000201${t('01', '11')}${t('26', t('00', guid) + t('01', '2188120000123456'))}${t('52', '5812')}${t('53', '702')}${t('58', 'SG')}${t('59', 'NASI LEMAK KING')}${t('60', 'SINGAPORE')}6304`;
  let crc = 0xffff;
  for (const byte of Buffer.from(body, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return body + crc.toString(16).toUpperCase().padStart(4, '0');
}

const compileStart = performance.now();
const { ruleSet, rejected } = compileCodeRules('bench-1', thousandRules());
const compiledLists = compileCodeLists(tenThousandEntries());
const compileMs = performance.now() - compileStart;
if (rejected.length > 0 || compiledLists.rejected.length > 0) throw new Error('bench fixtures did not compile');

const codes = [
  'https://m9997.mywallet.example/pay?x=1', // allowlist prefix
  'https://M9999.MYWALLET.EXAMPLE/pay', // local prefix, upper case
  'MW9000-AB123456', // local regex
  emvQr('com.alipayplus'), // EMVCo rule after 665 EMVCo misses
  'https://qr.alipayplus.com/281666130000000012345', // prefix rule near the end
  'https://g.alipayplus.com/page/entry?bizId=123', // OPEN_URL
  'P997-123456', // a regex that almost matches many
  'https://nobody.example/pay/0123456789', // no match at all
  '28' + '7'.repeat(1000), // a long numeric code, no match
];

const identify = (codeValue: string) =>
  identifyCode({ mode: 'ALLOWLIST', lists: compiledLists.lists, ruleSet, codeValue, issuer: 'SANDBOX_CLIENT' });

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
if (sink < 0) console.log(sink);
