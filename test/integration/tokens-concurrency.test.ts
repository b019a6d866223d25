/**
 * §3 under concurrency, on the real Postgres when DATABASE_URL is set (PGlite otherwise, which
 * serialises everything and so only checks the logic): an authCode works exactly once however many
 * calls race for it, on one instance or two sharing the database; and a refresh racing cancelToken
 * never leaves a usable access token behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import { secretHash } from '../../src/domain/tokens/token.ts';
import { attachDatabase, createCustomer, realPostgres, type TestApp, testApp, testDatabase, type TestDatabase } from '../support/harness.ts';
import { applyWithCode, applyWithRefresh, authCodeFor, cancelToken, inquiryUserInfo, resultOf, tokensFor } from '../support/tokens.ts';

let database: TestDatabase;
let second: DatabaseHandle;
let one: TestApp;
let two: TestApp;
let seq = 0;

beforeAll(async () => {
  database = await testDatabase({ poolSize: 10 });
  // A second service instance: its own pool on the same schema (PGlite has one connection: share it).
  second = realPostgres ? attachDatabase(database.schema, 10) : database;
  one = await testApp({ database });
  two = await testApp({ database: second, kv: one.kv });
});
afterAll(async () => {
  await two?.close();
  await one?.close();
  if (second !== database) await second?.close();
  await database?.close();
});

async function customer(): Promise<string> {
  const id = `cc-${++seq}`;
  await createCustomer(one.app, id, 'KRW');
  return id;
}

async function grantsOfCode(code: string): Promise<number> {
  const rows = await database.db.selectFrom('grants').select('id').where('auth_code_hash', '=', secretHash(code)).execute();
  return rows.length;
}

function tally(results: { resultCode: string; resultStatus: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[`${r.resultStatus} ${r.resultCode}`] = (out[`${r.resultStatus} ${r.resultCode}`] ?? 0) + 1;
  return out;
}

describe('§3 token issuance under concurrency', () => {
  it('50 concurrent applyToken calls with one authCode: exactly one S, 49 F USED_CODE', async () => {
    const id = await customer();
    const code = await authCodeFor(one, id);
    const answers = await Promise.all(Array.from({ length: 50 }, () => applyWithCode(one, code)));
    const results = answers.map(resultOf);
    expect(tally(results)).toEqual({ 'S SUCCESS': 1, 'F USED_CODE': 49 });
    const winner = answers[results.findIndex((r) => r.resultStatus === 'S')]!.json();
    expect(winner.customerId).toBe(id);
    expect(await grantsOfCode(code)).toBe(1);
    expect(resultOf(await inquiryUserInfo(one, winner.accessToken)).resultStatus).toBe('S');
  });

  it('the same 50-way race split over two instances sharing one database: exactly one S', async () => {
    const id = await customer();
    const code = await authCodeFor(two, id);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => applyWithCode(i % 2 === 0 ? one : two, code)));
    expect(tally(answers.map(resultOf))).toEqual({ 'S SUCCESS': 1, 'F USED_CODE': 49 });
    expect(await grantsOfCode(code)).toBe(1);
  });

  it('refresh racing cancelToken never leaves a usable access token for the revoked grant', async () => {
    for (let round = 0; round < 5; round++) {
      const tokens = await tokensFor(one, await customer());
      // 20 refreshes on both instances with one cancelToken launched in the middle of them.
      const calls: ReturnType<typeof applyWithRefresh>[] = [];
      const CANCEL_AT = 10;
      for (let i = 0; i < 21; i++) {
        const instance = i % 2 === 0 ? one : two;
        calls.push(i === CANCEL_AT ? cancelToken(instance, tokens.accessToken) : applyWithRefresh(instance, tokens.refreshToken));
      }
      const answers = await Promise.all(calls);
      const [cancel] = answers.splice(CANCEL_AT, 1);
      expect(resultOf(cancel!)).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
      const results = answers.map(resultOf);
      // Every refresh either issued before the revocation or was refused because of it; nothing else.
      for (const r of results) expect(['S SUCCESS', 'F INVALID_REFRESH_TOKEN']).toContain(`${r.resultStatus} ${r.resultCode}`);

      // After the cancel answered, every token ever issued under the grant is refused...
      const issued = [tokens.accessToken, ...answers.filter((a) => resultOf(a).resultStatus === 'S').map((a) => a.json().accessToken as string)];
      const checks = await Promise.all(issued.map((token, i) => inquiryUserInfo(i % 2 === 0 ? one : two, token)));
      for (const c of checks) expect(resultOf(c)).toMatchObject({ resultCode: 'INVALID_TOKEN', resultStatus: 'F' });
      // ... and no later refresh issues one.
      const later = await Promise.all(Array.from({ length: 10 }, (_, i) => applyWithRefresh(i % 2 === 0 ? one : two, tokens.refreshToken)));
      expect(tally(later.map(resultOf))).toEqual({ 'F INVALID_REFRESH_TOKEN': 10 });
    }
  });
});

describe('§3 revision 2: concurrent identical refreshes', () => {
  it.runIf(realPostgres)('40 identical refreshes racing on two instances rotate once: one new pair for all', async () => {
    const first = await tokensFor(one, await customer());
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => applyWithRefresh(i % 2 ? two : one, first.refreshToken)));
    const bodies = answers.map((a) => a.json());
    expect(tally(bodies.map((b) => b.result))).toEqual({ 'S SUCCESS': 40 });
    expect(new Set(bodies.map((b) => `${b.accessToken}/${b.refreshToken}`)).size).toBe(1);
    expect(bodies[0].refreshToken).not.toBe(first.refreshToken);
    const grant = await database.db.selectFrom('grants').select('id').where('customer_id', '=', first.customerId).executeTakeFirstOrThrow();
    const rotations = await database.db.selectFrom('refresh_rotations').select('grant_id').where('grant_id', '=', grant.id).execute();
    const tokens = await database.db.selectFrom('access_tokens').select('token_hash').where('grant_id', '=', grant.id).execute();
    expect([rotations.length, tokens.length]).toEqual([1, 2]);
  });
});
