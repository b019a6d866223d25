import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLL_INTERVAL_MS } from '../../src/domain/codes/list-cache.ts';
import { CODE_LISTS_POLLER } from '../../src/jobs/code-identification.ts';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import { appJwt, attachDatabase, FakeClock, opsHeaders, realPostgres, type TestApp, testApp, testDatabase, type TestDatabase } from '../support/harness.ts';

/**
 * §6 lists managed by ops and applied on every instance without a restart: instance A takes the
 * ops calls, instance B (its own pool on the same database when Postgres is real) identifies on a
 * fake clock, so its poll is driven step by step.
 */

let db: TestDatabase;
let dbB: DatabaseHandle;
let a: TestApp;
let b: TestApp;
const clockB = new FakeClock(new Date('2025-03-01T00:00:00Z'));
let bearer: string;

beforeAll(async () => {
  bearer = `Bearer ${await appJwt('C-lists-1')}`;
  db = await testDatabase();
  dbB = realPostgres ? attachDatabase(db.schema) : db;
  a = await testApp({ database: db });
  b = await testApp({ database: dbB, clock: clockB, kv: a.kv });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  if (dbB !== db) await dbB?.close();
  await db?.close();
});

const ops = (t: TestApp, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method, url: `/ops/v1/codeLists${url}`, headers: opsHeaders(), ...(payload && { payload }) });

async function sourceOn(t: TestApp, codeValue: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/app/v1/codes/identify', headers: { authorization: bearer }, payload: { codeValue } });
  expect(res.statusCode).toBe(200);
  return res.json().source as string;
}

async function listsVersion(): Promise<bigint> {
  const row = await db.db.selectFrom('code_lists_version').select('version').executeTakeFirstOrThrow();
  return row.version;
}

describe('code lists across instances (§6: ops manage them without a restart)', () => {
  it('applies an entry added on one instance to identify on another within the poll interval', async () => {
    const code = 'https://pay.partner-one.example/o/1';
    expect(await sourceOn(b, code)).toBe('UNKNOWN');

    const added = await ops(a, 'POST', '/allowlist/entries', { patternType: 'PREFIX', pattern: 'https://pay.partner-one.example/', note: 'partner one' });
    expect(added.statusCode).toBe(201);
    expect(await sourceOn(a, code)).toBe('ALLOWLIST'); // at once on the instance that made the change

    clockB.advance(POLL_INTERVAL_MS - 1);
    expect(await sourceOn(b, code)).toBe('UNKNOWN'); // B has not polled yet: no database read per request
    clockB.advance(1);
    expect(await sourceOn(b, code)).toBe('ALLOWLIST'); // the poll found the new version

    const removed = await ops(a, 'DELETE', `/allowlist/entries/${added.json().entry.id}`);
    expect(removed.statusCode).toBe(200);
    clockB.advance(POLL_INTERVAL_MS);
    expect(await sourceOn(b, code)).toBe('UNKNOWN');
  });

  it('lets the poller job recompile an idle instance', async () => {
    const poller = b.jobs.find((j) => j.name === CODE_LISTS_POLLER);
    clockB.advance(POLL_INTERVAL_MS);
    expect(await poller?.runOnce(clockB.now())).toBe(0); // nothing changed

    await ops(a, 'POST', '/local/entries', { patternType: 'REGEX', pattern: 'MW-[0-9]{6}' });
    clockB.advance(POLL_INTERVAL_MS);
    expect(await poller?.runOnce(clockB.now())).toBe(1);
    clockB.advance(1);
    expect(await poller?.runOnce(clockB.now())).toBe(0); // not due again yet
    expect(await sourceOn(b, 'MW-123456')).toBe('LOCAL');
  });

  it('bumps the version in the same transaction as each change, and not on a refused one', async () => {
    const before = await listsVersion();
    const first = await ops(a, 'POST', '/blocklist/entries', { patternType: 'PREFIX', pattern: 'https://fraud.example/' });
    expect(first.statusCode).toBe(201);
    expect(await listsVersion()).toBe(before + 1n);
    const again = await ops(a, 'POST', '/blocklist/entries', { patternType: 'PREFIX', pattern: 'https://fraud.example/' });
    expect(again.statusCode).toBe(409);
    expect(await listsVersion()).toBe(before + 1n);
    await ops(a, 'DELETE', '/blocklist/entries/999999999');
    expect(await listsVersion()).toBe(before + 1n);
  });

  it('adds the same entry only once when two instances race', async () => {
    const entry = { patternType: 'PREFIX', pattern: 'https://race.example/' };
    const before = await listsVersion();
    const answers = await Promise.all([ops(a, 'POST', '/local/entries', entry), ops(b, 'POST', '/local/entries', entry)]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(await listsVersion()).toBe(before + 1n);
  });
});

describe('ops routes for the code lists', () => {
  it('lists one kind with ids, notes and creation times, paged by id', async () => {
    for (const p of ['https://p1.example/', 'https://p2.example/', 'https://p3.example/']) {
      expect((await ops(a, 'POST', '/allowlist/entries', { patternType: 'PREFIX', pattern: p, note: `note ${p}` })).statusCode).toBe(201);
    }
    const all = await ops(a, 'GET', '/ALLOWLIST');
    expect(all.statusCode).toBe(200);
    const entries = all.json().entries as { id: string; pattern: string; note: string; kind: string; createdAt: string }[];
    expect(entries.map((e) => e.pattern)).toEqual(expect.arrayContaining(['https://p1.example/', 'https://p2.example/', 'https://p3.example/']));
    expect(entries.every((e) => e.kind === 'ALLOWLIST')).toBe(true);
    expect(entries[0]).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      note: expect.stringContaining('note'),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    const first = await ops(a, 'GET', '/allowlist?limit=2');
    expect(first.json().entries).toHaveLength(2);
    const next = await ops(a, 'GET', `/allowlist?limit=2&afterId=${first.json().nextAfterId}`);
    const seen = [...first.json().entries, ...next.json().entries].map((e: { id: string }) => e.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['a regex RE2 cannot run (backreference)', { patternType: 'REGEX', pattern: '(a)\\1' }, 'RE2'],
    ['a lookahead', { patternType: 'REGEX', pattern: '(?=x)x+' }, 'RE2'],
    ['a regex too large for the budget', { patternType: 'REGEX', pattern: '[^x]{1,400}[^y]{1,400}' }, 'too large'],
    ['a blank prefix', { patternType: 'PREFIX', pattern: '   ' }, 'blank'],
    ['a prefix over 2048 bytes', { patternType: 'PREFIX', pattern: 'é'.repeat(1025) }, '2048 bytes'],
    ['an unknown pattern type', { patternType: 'SUFFIX', pattern: 'x' }, 'patternType'],
    ['a missing pattern', { patternType: 'PREFIX' }, 'pattern'],
  ])('refuses %s with 400 naming why', async (_name, body, reason) => {
    const res = await ops(a, 'POST', '/local/entries', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().result).toMatchObject({ resultStatus: 'F', resultCode: 'PARAM_ILLEGAL' });
    expect(res.json().result.resultMessage).toContain(reason);
  });

  it('refuses an unknown list', async () => {
    const res = await ops(a, 'GET', '/greylist');
    expect(res.statusCode).toBe(400);
    expect(res.json().result.resultMessage).toContain('local, allowlist or blocklist');
  });

  it('answers 404 for an entry that is not in that list', async () => {
    const added = await ops(a, 'POST', '/local/entries', { patternType: 'PREFIX', pattern: 'https://only-local.example/' });
    const wrongList = await ops(a, 'DELETE', `/blocklist/entries/${added.json().entry.id}`);
    expect(wrongList.statusCode).toBe(404);
    expect((await ops(a, 'DELETE', '/local/entries/not-a-number')).statusCode).toBe(400);
  });

  it('requires the ops token', async () => {
    const res = await a.app.inject({ method: 'GET', url: '/ops/v1/codeLists/local', headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
  });
});
