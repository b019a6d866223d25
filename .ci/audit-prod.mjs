#!/usr/bin/env node
// `npm run audit:prod`: npm audit of the production dependencies; fails on a high or critical
// advisory. Offline-tolerant on purpose: when the registry's advisory endpoint cannot be reached
// (some registry mirrors answer the bulk endpoint with 405), it says so loudly and exits 0, so CI
// depends on nothing beyond the registry `npm ci` already needs. AUDIT_REQUIRED=1 makes that a
// failure too. AUDIT_JSON_FILE=<file> reads a saved `npm audit --json` instead (to check this script).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let text;
if (process.env.AUDIT_JSON_FILE) {
  text = readFileSync(process.env.AUDIT_JSON_FILE, 'utf8');
} else {
  try {
    text = execFileSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
  } catch (err) {
    // npm audit exits 1 when it finds advisories, and also when the endpoint fails: read its JSON either way.
    text = err.stdout ?? '';
  }
}

let report;
try {
  report = JSON.parse(text);
} catch {
  report = undefined;
}

const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  const why = report?.message ?? report?.error?.summary ?? (text.trim().slice(0, 200) || 'no answer');
  console.warn(`npm audit: the advisory endpoint could not be reached (${why}); production dependencies were NOT audited.`);
  process.exit(process.env.AUDIT_REQUIRED === '1' ? 1 : 0);
}

const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical');
console.log(`npm audit (production dependencies): ${JSON.stringify(counts)}`);
if (serious.length > 0) {
  for (const [name, v] of serious) {
    const titles = (v.via ?? []).map((x) => (typeof x === 'string' ? x : `${x.title} ${x.url ?? ''}`)).join('; ');
    console.error(`  ${v.severity.toUpperCase()} ${name} ${v.range ?? ''}: ${titles}`);
  }
  process.exit(1);
}
