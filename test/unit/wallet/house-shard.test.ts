/**
 * houseShard (ledger-repository.ts): a transfer's key always picks the same sub-account, and keys
 * spread over all of them. houseShardRotation: batches take the sub-accounts in turn.
 */
import { describe, expect, it } from 'vitest';
import { HOUSE_ACCOUNT_SHARDS, houseShard, houseShardRotation } from '../../../src/persistence/ledger-repository.ts';
import { transferKeys } from '../../../src/domain/wallet/ledger.ts';

describe('houseShard', () => {
  it('is a function of the idempotency key alone, so a replayed transfer finds the legs it posted', () => {
    const key = transferKeys.payment('20261206PAY0000000000000000000001');
    expect(houseShard(key)).toBe(houseShard(`${key}`));
    expect(houseShard(key)).toBeGreaterThanOrEqual(0);
    expect(houseShard(key)).toBeLessThan(HOUSE_ACCOUNT_SHARDS);
  });

  it('spreads 16,000 payment keys over every shard, none holding more than twice its share', () => {
    const counts = new Array<number>(HOUSE_ACCOUNT_SHARDS).fill(0);
    for (let i = 0; i < 16_000; i++) counts[houseShard(transferKeys.payment(`2026120611${String(i).padStart(22, '0')}`))]! += 1;
    const share = 16_000 / HOUSE_ACCOUNT_SHARDS;
    for (const n of counts) {
      expect(n).toBeGreaterThan(share / 2);
      expect(n).toBeLessThan(share * 2);
    }
  });
});

describe('houseShardRotation', () => {
  it('gives consecutive batches different sub-accounts, each of them once a round, then the same round again', () => {
    const next = houseShardRotation();
    const round = Array.from({ length: HOUSE_ACCOUNT_SHARDS }, next);
    expect([...round].sort((a, b) => a - b)).toEqual(Array.from({ length: HOUSE_ACCOUNT_SHARDS }, (_v, i) => i));
    for (let i = 1; i < round.length; i++) expect(round[i]).toBe((round[i - 1]! + 1) % HOUSE_ACCOUNT_SHARDS);
    expect(Array.from({ length: HOUSE_ACCOUNT_SHARDS }, next)).toEqual(round);
  });

  it('starts each rotation (each instance) at a random sub-account', () => {
    const starts = new Set(Array.from({ length: 200 }, () => houseShardRotation()()));
    expect(starts.size).toBeGreaterThan(HOUSE_ACCOUNT_SHARDS / 2);
  });
});
