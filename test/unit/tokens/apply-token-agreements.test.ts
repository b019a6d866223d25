/**
 * applyToken keeps an Auto Debit agreement in step only for an AGREEMENT_PAY grant: any other
 * exchange or refresh is one statement, with no agreement statement after it (issue 20: the bench's
 * applyToken paid a second round trip for a no-op). The HTTP tests (payment-codes-agreements) show
 * what the agreement row then holds; this shows when the domain asks for it.
 */
import { describe, expect, it } from 'vitest';
import type { Customer } from '../../../src/domain/customers/customer.ts';
import type { GrantRecord, TokenRepos } from '../../../src/domain/tokens/ports.ts';
import type { AuthScope } from '../../../src/domain/tokens/token.ts';
import { secretHash } from '../../../src/domain/tokens/token.ts';
import { tokenUseCases } from '../../../src/domain/tokens/use-cases.ts';

const NOW = new Date('2030-01-01T00:00:00Z');
const customer: Customer = { id: 'C1', status: 'NORMAL', currency: 'USD', createdAt: NOW };

function setUp(scopes: readonly AuthScope[]) {
  const remembered: string[] = [];
  const grant: GrantRecord = { id: 'G1', customerId: customer.id, scopes, refreshExpiresAt: new Date('2031-01-01T00:00:00Z'), revokedAt: undefined };
  const repos = {
    findCustomer: async () => customer,
    redeemAuthCode: async () => ({ customerId: customer.id, scopes }),
    lockGrantByRefreshTokenHash: async (hash: string) => (hash === secretHash('R-OLD') ? grant : undefined),
    rotateRefreshToken: async () => undefined,
  } as unknown as TokenRepos;
  const tokens = tokenUseCases({
    uow: { run: (work) => work(repos) },
    repos,
    clock: { now: () => NOW },
    settings: { authCodeTtlSeconds: 300, accessTokenTtlSeconds: 3600, refreshTokenTtlSeconds: 86_400, refreshGraceSeconds: 60 },
    agreements: { remember: async (t) => void remembered.push(t.accessToken) },
  });
  return { tokens, remembered };
}

describe('§3 applyToken and §10 agreements', () => {
  it('asks for no agreement statement for a grant without AGREEMENT_PAY, on exchange or refresh', async () => {
    const { tokens, remembered } = setUp(['BASE_USER_INFO']);
    const issued = await tokens.applyToken({ grantType: 'AUTHORIZATION_CODE', authCode: 'A'.repeat(32) }, 'ACQ');
    expect(issued.scopes).toEqual(['BASE_USER_INFO']);
    await tokens.applyToken({ grantType: 'REFRESH_TOKEN', refreshToken: 'R-OLD' }, 'ACQ');
    expect(remembered).toEqual([]);
  });

  it('keeps the live access token of an AGREEMENT_PAY grant, on exchange and on refresh', async () => {
    const { tokens, remembered } = setUp(['BASE_USER_INFO', 'AGREEMENT_PAY']);
    const first = await tokens.applyToken({ grantType: 'AUTHORIZATION_CODE', authCode: 'A'.repeat(32) }, 'ACQ');
    const refreshed = await tokens.applyToken({ grantType: 'REFRESH_TOKEN', refreshToken: 'R-OLD' }, 'ACQ');
    expect(remembered).toEqual([first.accessToken, refreshed.accessToken]);
  });
});
