/**
 * group-commit.ts on its own, with a writer that records its batches: the calls of one turn go as
 * one batch, at most maxInFlight batches are in flight and what waits goes at once after, and a
 * failed batch of several is written again call by call, so only the bad call fails.
 */
import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../src/persistence/group-commit.ts';

/** A writer whose batches wait until released, recording each batch it was given. */
function heldWriter(fail: (input: number) => boolean = () => false) {
  const batches: number[][] = [];
  const held: (() => void)[] = [];
  let inFlight = 0;
  let maxSeen = 0;
  const write = async (inputs: readonly number[]) => {
    batches.push([...inputs]);
    inFlight += 1;
    maxSeen = Math.max(maxSeen, inFlight);
    await new Promise<void>((resolve) => held.push(resolve));
    inFlight -= 1;
    if (inputs.some(fail)) throw new Error(`batch ${inputs.join(',')} failed`);
    return inputs.map((i) => i * 10);
  };
  const releaseAll = async () => {
    while (held.length > 0) {
      held.splice(0).forEach((r) => r());
      await new Promise((r) => setImmediate(r));
    }
  };
  return { write, batches, releaseAll, maxInFlight: () => maxSeen };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('groupCommit', () => {
  it('sends the calls of one turn as one batch and gives each caller its own result', async () => {
    const w = heldWriter();
    const call = groupCommit('test', w.write, { maxInFlight: 4, maxBatch: 64 });
    const results = Promise.all([1, 2, 3, 4, 5].map(call));
    await turn();
    expect(w.batches).toEqual([[1, 2, 3, 4, 5]]);
    await w.releaseAll();
    expect(await results).toEqual([10, 20, 30, 40, 50]);
  });

  it('cuts a turn into batches of maxBatch', async () => {
    const w = heldWriter();
    const call = groupCommit('test', w.write, { maxInFlight: 4, maxBatch: 2 });
    const results = Promise.all([1, 2, 3, 4, 5].map(call));
    await turn();
    expect(w.batches).toEqual([[1, 2], [3, 4], [5]]);
    await w.releaseAll();
    expect(await results).toEqual([10, 20, 30, 40, 50]);
  });

  it('keeps at most maxInFlight batches in flight; what waits meanwhile goes as one batch when a slot frees', async () => {
    const w = heldWriter();
    const call = groupCommit('test', w.write, { maxInFlight: 1, maxBatch: 64 });
    const first = call(1);
    await turn();
    const later = Promise.all([2, 3, 4].map(call));
    await turn();
    const more = call(5);
    await turn();
    expect(w.batches).toEqual([[1]]);
    await w.releaseAll();
    expect(w.batches).toEqual([[1], [2, 3, 4, 5]]);
    expect(w.maxInFlight()).toBe(1);
    expect([await first, await later, await more]).toEqual([10, [20, 30, 40], 50]);
  });

  it('writes a failed batch again call by call, so only the failing call is rejected', async () => {
    const w = heldWriter((i) => i === 3);
    const call = groupCommit('test', w.write, { maxInFlight: 4, maxBatch: 64 });
    const settled = Promise.allSettled([1, 2, 3, 4].map(call));
    await turn();
    await w.releaseAll();
    const outcomes = await settled;
    expect(w.batches).toEqual([[1, 2, 3, 4], [1], [2], [3], [4]]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'))).toEqual([10, 20, 'rejected', 40]);
  });

  it('rejects a lone call whose batch fails, without writing it again', async () => {
    const w = heldWriter(() => true);
    const call = groupCommit('test', w.write, { maxInFlight: 4, maxBatch: 64 });
    const one = call(7).then(
      () => 'written',
      (err: Error) => err.message,
    );
    await turn();
    await w.releaseAll();
    expect(await one).toBe('batch 7 failed');
    expect(w.batches).toEqual([[7]]);
  });

  it('fails a batch whose writer returns a result count other than its size', async () => {
    const call = groupCommit('test', async (inputs: readonly number[]) => (inputs.length === 1 ? [1] : []), { maxInFlight: 4, maxBatch: 64 });
    // The short answer fails the batch; each call written alone then gets its one result.
    expect(await Promise.all([call(1), call(2)])).toEqual([1, 1]);
  });

  it('tells onBatch the size of every batch it sends', async () => {
    const w = heldWriter();
    const sizes: [string, number][] = [];
    const call = groupCommit('test', w.write, { maxInFlight: 4, maxBatch: 3, onBatch: (statement, n) => sizes.push([statement, n]) });
    const results = Promise.all([1, 2, 3, 4].map(call));
    await turn();
    await w.releaseAll();
    await results;
    expect(sizes).toEqual([
      ['test', 3],
      ['test', 1],
    ]);
  });
});
