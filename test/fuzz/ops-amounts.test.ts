/**
 * Issue 9 point 2, absurd amounts (§2) on the one route of this branch that takes an Amount: the
 * ops top-up. (pay and refund take them too and are fuzzed with the same generator through
 * ./routes.ts once they land.) Every absurd value or currency is a 400 naming the field, and no
 * money moves.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, opsHeaders, testApp } from '../support/harness.ts';
import { absurdAmount, expectAppAnswer, expectUnchanged, FUZZ_RUNS, type RowCounts, rowCounts } from './support.ts';

const t = await testApp({ env: { RATE_LIMIT_OPS_PER_MINUTE: '0' } });
const url = '/ops/v1/customers/amounts-1/topUps';
let before: RowCounts;
beforeAll(async () => {
  await createCustomer(t.app, 'amounts-1', 'KRW');
  before = await rowCounts(t.database.db);
});
afterAll(async () => t.close());

describe('POST /ops/v1/customers/{id}/topUps under absurd amounts', () => {
  it('answers "1e30", "-1", "00", "0x10", 20 to 40 digits, past BIGINT and bad currencies with 400 naming the field, moving no money', async () => {
    const sample = { amount: { currency: 'KRW', value: '1000' }, reason: 'fuzz' };
    await fc.assert(
      fc.asyncProperty(absurdAmount(sample, [['amount']]), async ([body, field]) => {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { ...opsHeaders(), 'content-type': 'application/json', 'idempotency-key': `fuzz-${Math.random().toString(36).slice(2)}` },
          payload: JSON.stringify(body),
        });
        expect(res.statusCode, res.body).toBe(400);
        expect(expectAppAnswer(res).resultMessage).toContain(field);
        expectUnchanged(before, await rowCounts(t.database.db));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('accepts the largest BIGINT and refuses one more', async () => {
    const post = (value: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { ...opsHeaders(), 'idempotency-key': `max-${value}` },
        payload: { amount: { currency: 'KRW', value }, reason: 'fuzz' },
      });
    expect((await post('9223372036854775808')).statusCode).toBe(400);
    expect((await post('9223372036854775807')).statusCode).toBe(201);
  });
});
