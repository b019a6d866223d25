/**
 * Code identification (§6): POST /app/v1/codes/identify with an app JWT (no RSA signature), against
 * 1,000 Alipay+ code rules (served to the service by the fake Alipay+ at its start) and 10,000 list
 * entries loaded through the ops API. The codes sent cycle through one of each kind: an order code,
 * an EMVCo QR, an entry code, an allowlisted code, a local code, and a code nothing matches.
 */
import { type Answer, appJwt, appPost, mapConcurrently, opsPost, routeExists } from '../lib/clients.ts';
import { generateListEntries, type ListEntry, sampleCodeValues } from '../lib/code-rules.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { warmupSeconds } from '../lib/payloads.ts';

const IDENTIFY_PATH = '/app/v1/codes/identify';
const entriesPath = (kind: string) => `/ops/v1/codeLists/${kind}/entries`;

/**
 * Loads the list entries through `/ops/v1/codeLists/{kind}/entries` (`{patternType, pattern}`);
 * the kind is tried as LOCAL/ALLOWLIST and, when that is 404, in lower case. Returns a note.
 */
async function loadLists(ctx: BenchContext, entries: readonly ListEntry[]): Promise<string> {
  const base = ctx.service.url;
  let spell = (k: string) => k;
  let first: Answer = await opsPost(base, entriesPath(entries[0]!.kind), { patternType: entries[0]!.patternType, pattern: entries[0]!.pattern });
  if (first.status === 404) {
    spell = (k) => k.toLowerCase();
    first = await opsPost(base, entriesPath(spell(entries[0]!.kind)), { patternType: entries[0]!.patternType, pattern: entries[0]!.pattern });
  }
  if (first.status === 404) return 'list entries not loaded: /ops/v1/codeLists/{kind}/entries missing (identified against the rules only)';
  if (first.status >= 300) return `list entries not loaded: the ops API answered ${first.status} ${first.text.slice(0, 200)}`;
  const t0 = performance.now();
  const answers = await mapConcurrently(entries.slice(1), 16, (e) => opsPost(base, entriesPath(spell(e.kind)), { patternType: e.patternType, pattern: e.pattern }));
  const refused = answers.filter((a) => a.status >= 300);
  const loaded = entries.length - refused.length;
  const why = refused[0] ? `; ${refused.length} refused, first: ${refused[0].status} ${refused[0].text.slice(0, 120)}` : '';
  return `${loaded} list entries loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s${why}`;
}

/** Entries apply "within seconds" on every instance (issue 6): wait until the allowlisted code is ours. */
async function waitForAllowlist(ctx: BenchContext, jwt: string, code: string): Promise<string> {
  const until = Date.now() + 15_000;
  let source = '';
  while (Date.now() < until) {
    const a = await appPost(ctx.service.url, IDENTIFY_PATH, jwt, { codeValue: code });
    source = String(a.body.source ?? `${a.status}`);
    if (source === 'ALLOWLIST') return 'allowlist applied';
    await new Promise((r) => setTimeout(r, 500));
  }
  return `allowlisted sample still identified as ${source} after 15 s`;
}

export const identify: Scenario = {
  name: 'identify',
  async run(ctx: BenchContext): Promise<Row[]> {
    const label = 'identify (1,000 rules + 10,000 entries)';
    const jwt = await appJwt(ctx.customerId);
    if (!(await routeExists(ctx.service.url, IDENTIFY_PATH, { authorization: `Bearer ${jwt}` }))) {
      return [notAvailable('identify', label, 'route missing')];
    }
    const notes: string[] = [];
    const stats = (await (await fetch(`${ctx.fake.url}/stats`)).json()) as { codeRuleCalls: number };
    notes.push(
      stats.codeRuleCalls > 0
        ? `the service fetched the fake's rules (${stats.codeRuleCalls} inquiryCodeRules calls)`
        : 'the service never called inquiryCodeRules: measured against its own stored or preset rules',
    );
    const entries = generateListEntries(ctx.options.smoke ? 1000 : 10_000);
    notes.push(await loadLists(ctx, entries));
    const samples = sampleCodeValues();
    notes.push(await waitForAllowlist(ctx, jwt, samples.allowlisted));

    const m = await ctx.measure(
      {
        name: 'identify',
        targets: [ctx.service.url],
        connections: ctx.options.connections,
        durationSeconds: ctx.options.durationSeconds,
        warmupSeconds: warmupSeconds(ctx),
        method: 'POST',
        path: IDENTIFY_PATH,
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: { template: { codeValue: 'x' }, vary: [{ path: ['codeValue'], values: samples.all }] },
        validate: samples.all.length * 4,
      },
      [ctx.service.sampler],
    );
    return [loadRow('identify', label, m, { expect: ['200 S SUCCESS'], notes })];
  },
};
