/**
 * §10 Auto Debit's token rule has two forms: agreementTokenRefusal (domain/tokens/token.ts), which
 * the token use cases apply, and agreementTokenRefusalSql (persistence/tokens-repository.ts),
 * which the synchronous pay's statement applies. Both are asked here about the same real tokens,
 * at the same instants, and must give the same answer, which is also the one §10 wants.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessTokenRefusal, agreementTokenRefusal, secretHash } from '../../src/domain/tokens/token.ts';
import { agreementTokenRefusalSql, tokenRepos } from '../../src/persistence/tokens-repository.ts';
import { createCustomer, type TestApp, testApp } from '../support/harness.ts';
import { cancelToken, tokensFor } from '../support/tokens.ts';

let t: TestApp;
const A = 'C_TOKEN_RULE_A';
const B = 'C_TOKEN_RULE_B';
const tokens: Record<'agreement' | 'plain' | 'revoked', string> = { agreement: '', plain: '', revoked: '' };

beforeAll(async () => {
  t = await testApp();
  for (const c of [A, B]) await createCustomer(t.app, c, 'KRW');
  const issue = async (scopes: string[]) => (await tokensFor(t, A, scopes)).accessToken;
  tokens.agreement = await issue(['AGREEMENT_PAY']);
  tokens.plain = await issue(['BASE_USER_INFO']);
  tokens.revoked = await issue(['AGREEMENT_PAY']);
  expect((await cancelToken(t, tokens.revoked)).json().result.resultStatus).toBe('S');
});
afterAll(async () => t.close());

/** The function's answer, on the token as the repository reads it. */
async function inDomain(token: string, customerId: string, at: Date): Promise<AccessTokenRefusal | undefined> {
  return agreementTokenRefusal(await tokenRepos(t.database.db).findAccessToken(secretHash(token)), customerId, at);
}

/** The SQL's answer, with the joins the statement makes. */
async function inSql(token: string, customerId: string, at: Date): Promise<AccessTokenRefusal | undefined> {
  const { rows } = await sql<{ refusal: AccessTokenRefusal | null }>`
    select ${agreementTokenRefusalSql(sql.ref('i.customer_id'), sql.ref('i.at'))} as refusal
      from (select ${secretHash(token)}::text as token_hash, ${customerId}::text as customer_id, ${at.toISOString()}::timestamptz as at) i
      left join access_tokens t on t.token_hash = i.token_hash
      left join grants g on g.id = t.grant_id`.execute(t.database.db);
  return rows[0]?.refusal ?? undefined;
}

async function expiryOf(token: string): Promise<Date> {
  const record = await tokenRepos(t.database.db).findAccessToken(secretHash(token));
  if (!record) throw new Error('token not stored');
  return record.expiresAt;
}

describe("§10 Auto Debit's token rule, in the domain and in SQL", () => {
  it('gives the same answer for every kind of token, before and at its expiry', async () => {
    const expiry = await expiryOf(tokens.agreement);
    const justBefore = new Date(expiry.getTime() - 1);
    const cases: [string, string, string, Date, AccessTokenRefusal | undefined][] = [
      ['an AGREEMENT_PAY token of the customer', tokens.agreement, A, justBefore, undefined],
      ['the same token at its expiry instant', tokens.agreement, A, expiry, 'EXPIRED_ACCESS_TOKEN'],
      ['the same token after it', tokens.agreement, A, new Date(expiry.getTime() + 60_000), 'EXPIRED_ACCESS_TOKEN'],
      ['the same token for another customer', tokens.agreement, B, justBefore, 'INVALID_TOKEN'],
      ['the same token for another customer, expired', tokens.agreement, B, expiry, 'EXPIRED_ACCESS_TOKEN'],
      ['a token of another scope', tokens.plain, A, justBefore, 'INVALID_TOKEN'],
      ['a revoked token', tokens.revoked, A, justBefore, 'INVALID_TOKEN'],
      ['a revoked token, expired too', tokens.revoked, A, new Date(expiry.getTime() + 60_000), 'INVALID_TOKEN'],
      ['an unknown token', 'NOT-A-TOKEN', A, justBefore, 'INVALID_TOKEN'],
    ];
    for (const [what, token, customerId, at, expected] of cases) {
      expect({ what, answer: await inDomain(token, customerId, at) }).toEqual({ what, answer: expected });
      expect({ what, answer: await inSql(token, customerId, at) }).toEqual({ what, answer: expected });
    }
  });
});
