/**
 * §3 applyToken's exchanges batched into one statement (tokens-repository.ts, group-commit.ts), on
 * the engine the suite runs on: in one batch, each exchange gets what its own statement gave: a
 * good code its grant, a used, expired or frozen customer's code nothing, and a code twice in the
 * batch exactly one grant. Access-token lookups made at once share one read, each answered with its own token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedeemedCode } from '../../src/domain/tokens/ports.ts';
import { secretHash } from '../../src/domain/tokens/token.ts';
import { tokenRepos } from '../../src/persistence/tokens-repository.ts';
import { type TestDatabase, testDatabase } from '../support/harness.ts';

let database: TestDatabase;
let serial = 0;
const now = new Date();
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

beforeAll(async () => {
  database = await testDatabase();
  await database.db
    .insertInto('customers')
    .values([
      { id: 'tgc-normal', status: 'NORMAL', currency: 'KRW' },
      { id: 'tgc-frozen', status: 'FROZEN', currency: 'KRW' },
    ])
    .execute();
});
afterAll(async () => {
  await database.close();
});

/** A stored auth code (by its hash, as the service stores it) of `customerId`. */
async function code(customerId: string, o: { expiresAt?: Date; usedAt?: Date } = {}): Promise<string> {
  serial += 1;
  const codeHash = secretHash(`tgc-code-${serial}`);
  await database.db
    .insertInto('auth_codes')
    .values({
      code_hash: codeHash,
      customer_id: customerId,
      scopes: ['BASE_USER_INFO'],
      expires_at: o.expiresAt ?? later(60),
      used_at: o.usedAt ?? null,
      created_at: new Date((o.expiresAt ?? later(60)).getTime() - 60_000),
    })
    .execute();
  return codeHash;
}

function issue(): RedeemedCode {
  serial += 1;
  const n = String(serial).padStart(8, '0');
  return {
    grantId: `grant-tgc-${n}`,
    refreshTokenHash: secretHash(`tgc-refresh-${n}`),
    refreshExpiresAt: later(3600),
    accessTokenHash: secretHash(`tgc-access-${n}`),
    accessExpiresAt: later(600),
    acquirerId: 'acq-1',
  };
}

describe('applyToken group commit', () => {
  it('one batch of exchanges: each gets what its own statement gave', async () => {
    const repos = tokenRepos(database.db);
    const good = await code('tgc-normal');
    const used = await code('tgc-normal', { usedAt: now });
    const expired = await code('tgc-normal', { expiresAt: new Date(now.getTime() - 1000) });
    const frozen = await code('tgc-frozen');
    const twice = await code('tgc-normal');
    const issues = Array.from({ length: 6 }, issue);
    const hashes = [good, used, expired, frozen, twice, twice];

    const outcomes = await Promise.all(hashes.map((h, i) => repos.redeemAuthCode(h, now, issues[i]!, 'NORMAL')));

    expect(outcomes.slice(0, 4)).toEqual([{ customerId: 'tgc-normal', scopes: ['BASE_USER_INFO'] }, undefined, undefined, undefined]);
    expect(outcomes.slice(4).filter((o) => o !== undefined)).toEqual([{ customerId: 'tgc-normal', scopes: ['BASE_USER_INFO'] }]);

    const grants = await database.db.selectFrom('grants').select(['id', 'auth_code_hash', 'acquirer_id']).where('auth_code_hash', 'in', hashes).execute();
    const winner = outcomes[4] !== undefined ? issues[4]! : issues[5]!;
    expect(grants.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: issues[0]!.grantId, auth_code_hash: good, acquirer_id: 'acq-1' },
        { id: winner.grantId, auth_code_hash: twice, acquirer_id: 'acq-1' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    const tokens = await database.db
      .selectFrom('access_tokens')
      .select(['token_hash', 'grant_id'])
      .where('grant_id', 'in', [issues[0]!.grantId, winner.grantId])
      .execute();
    expect(tokens).toHaveLength(2);
    expect(tokens.find((t) => t.grant_id === winner.grantId)?.token_hash).toBe(winner.accessTokenHash);
  });

  it('one batch of access-token lookups: each hash gets its own token and grant, an unknown hash nothing', async () => {
    const sizes: number[] = [];
    const repos = tokenRepos(database.db, { maxInFlight: 4, maxBatch: 64, onBatch: (statement, n) => statement === 'access_token_by_hash' && sizes.push(n) });
    const first = issue();
    const second = issue();
    for (const i of [first, second]) expect(await repos.redeemAuthCode(await code('tgc-normal'), now, i, 'NORMAL')).toBeDefined();

    const found = await Promise.all(
      [first.accessTokenHash, secretHash('tgc-no-such-token'), second.accessTokenHash, first.accessTokenHash].map((h) => repos.findAccessToken(h)),
    );

    expect(sizes).toEqual([4]);
    const grantOf = (i: RedeemedCode) => ({
      expiresAt: i.accessExpiresAt,
      grant: { id: i.grantId, customerId: 'tgc-normal', scopes: ['BASE_USER_INFO'], refreshExpiresAt: i.refreshExpiresAt, revokedAt: undefined },
    });
    expect(found).toEqual([grantOf(first), undefined, grantOf(second), grantOf(first)]);
  });
});
