/**
 * §3 token issuance: auth codes for the app, applyToken (AUTHORIZATION_CODE and REFRESH_TOKEN),
 * cancelToken and inquiryUserInfo for Alipay+.
 *
 * Decisions where §3 is silent (our choice):
 * - A frozen customer gets no auth code, and applyToken / inquiryUserInfo for them answer
 *   F USER_STATUS_ABNORMAL; a failed applyToken changes nothing, so the code stays usable until it
 *   expires (unfreezing within its lifetime makes it work). cancelToken works whatever the status.
 * - cancelToken of a known access token (valid, expired or already revoked) is S SUCCESS and the
 *   grant is revoked; of an unknown one, F INVALID_TOKEN. Either way the same answer every time
 *   (the accessToken is cancelToken's idempotency field).
 * - inquiryUserInfo: a revoked token is F INVALID_TOKEN even when it has also expired.
 * - A refresh rotates (§3 revision 2): a new access token and a new refresh token, each with the
 *   configured lifetime from now. The old refresh token and the access tokens issued before keep
 *   working for `refreshGraceSeconds`; a repeat of the same refresh within it gets the same new
 *   pair (derived again from the stored nonce, see rotatedTokens), then INVALID_REFRESH_TOKEN.
 *   Concurrent identical refreshes serialise on the grant row: one rotates, the others then find
 *   the rotation and answer its pair.
 */
import { requireUsable, USABLE_STATUS } from '../customers/customer.ts';
import { DomainError } from '../errors.ts';
import type { Clock, UnitOfWork } from '../ports.ts';
import type { AccessTokenRecord, AuthCodeRecord, TokenRepos } from './ports.ts';
import {
  type AccessTokenRefusal,
  accessTokenRefusal,
  agreementTokenRefusal,
  type AuthScope,
  expiryAfter,
  newAuthCode,
  newGrantId,
  newRotationNonce,
  newToken,
  normaliseScopes,
  rotatedTokens,
  secretHash,
} from './token.ts';

export interface TokenLifetimes {
  readonly authCodeTtlSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** §3 revision 2: how long the rotated-away pair keeps working. */
  readonly refreshGraceSeconds: number;
}

export interface TokenDeps {
  /** Opens one transaction for work that must commit together. */
  readonly uow: UnitOfWork<TokenRepos>;
  /** The same repositories outside a transaction, for single-statement work. */
  readonly repos: TokenRepos;
  readonly clock: Clock;
  readonly settings: TokenLifetimes;
  /**
   * §10: after applyToken issued tokens, keeps the live access token of an AGREEMENT_PAY grant
   * (sealed) for the unbinding calls that must name it. applyToken calls it only for such a grant
   * (the scopes come back with the tokens); the store still checks the scope itself.
   */
  readonly agreements?: { remember(t: { grantId: string; accessToken: string; accessTokenHash: string; acquirerId: string; now: Date }): Promise<void> };
}

export interface IssuedAuthCode {
  readonly authCode: string;
  readonly expiresAt: Date;
  readonly scopes: readonly AuthScope[];
}

export interface IssuedTokens {
  readonly grantId: string;
  readonly customerId: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  /** The grant's scopes: an AGREEMENT_PAY grant has an Auto Debit agreement to keep in step. */
  readonly scopes: readonly AuthScope[];
}

export type ApplyTokenInput =
  | { readonly grantType: 'AUTHORIZATION_CODE'; readonly authCode: string; readonly acquirerId?: string | undefined }
  | { readonly grantType: 'REFRESH_TOKEN'; readonly refreshToken: string };

export interface UserInfo {
  readonly userId: string;
  readonly scopes: readonly AuthScope[];
}

export function tokenUseCases(deps: TokenDeps) {
  const { uow, repos, clock, settings: lifetimes } = deps;

  /** Why a code cannot be exchanged now, as the §3 F to answer; undefined when it can. */
  function codeRefusal(code: AuthCodeRecord | undefined, now: Date): DomainError | undefined {
    if (!code) return new DomainError('INVALID_CODE');
    if (code.usedAt) return new DomainError('USED_CODE');
    if (code.expiresAt.getTime() <= now.getTime()) return new DomainError('EXPIRED_CODE');
    return undefined;
  }

  /**
   * Usually one statement: it uses the code, provided it is unused, unexpired and its customer
   * usable (requireUsable's status), and issues the grant with its first access token. When it
   * does not, one read of the code and its customer says why, in §3's order: the code first,
   * then the customer. A refused exchange writes nothing, so the code stays usable until it expires.
   */
  async function exchangeAuthCode(authCode: string, acquirerId: string | undefined): Promise<IssuedTokens> {
    const now = clock.now();
    const codeHash = secretHash(authCode);
    const refreshToken = newToken();
    const accessToken = newToken();
    const grantId = newGrantId();
    const refreshTokenExpiresAt = expiryAfter(now, lifetimes.refreshTokenTtlSeconds);
    const accessTokenExpiresAt = expiryAfter(now, lifetimes.accessTokenTtlSeconds);
    // §3 an authCode works once: exactly one winner among concurrent callers.
    const redeemed = await repos.redeemAuthCode(
      codeHash,
      now,
      {
        grantId,
        refreshTokenHash: secretHash(refreshToken),
        refreshExpiresAt: refreshTokenExpiresAt,
        accessTokenHash: secretHash(accessToken),
        accessExpiresAt: accessTokenExpiresAt,
        acquirerId,
      },
      USABLE_STATUS,
    );
    if (redeemed) return { grantId, ...redeemed, accessToken, accessTokenExpiresAt, refreshToken, refreshTokenExpiresAt };

    const code = await repos.findAuthCode(codeHash);
    const refusal = codeRefusal(code, now);
    if (refusal) throw refusal;
    requireUsable(code!.customer);
    // Usable a moment ago and not redeemed: another caller used it in between (or it expired).
    throw codeRefusal(await repos.findAuthCode(codeHash), now) ?? new Error('auth code neither redeemed nor refused');
  }

  async function refresh(refreshToken: string): Promise<IssuedTokens> {
    const now = clock.now();
    const oldRefreshTokenHash = secretHash(refreshToken);
    return uow.run(async (r) => {
      // The grant row stays locked until we commit: a concurrent cancelToken either revoked it
      // before (we see revoked_at and refuse) or waits and revokes after (our tokens die with it);
      // a concurrent identical refresh waits, then no longer finds the token here (it was rotated)
      // and answers the rotation's pair below.
      const grant = await r.lockGrantByRefreshTokenHash(oldRefreshTokenHash);
      if (!grant) return repeatedRefresh(r, refreshToken, oldRefreshTokenHash, now);
      if (grant.revokedAt) throw new DomainError('INVALID_REFRESH_TOKEN');
      if (grant.refreshExpiresAt.getTime() <= now.getTime()) throw new DomainError('EXPIRED_REFRESH_TOKEN');
      const customer = requireUsable(await r.findCustomer(grant.customerId));
      const nonce = newRotationNonce();
      const pair = rotatedTokens(nonce, refreshToken);
      const accessTokenExpiresAt = expiryAfter(now, lifetimes.accessTokenTtlSeconds);
      const refreshTokenExpiresAt = expiryAfter(now, lifetimes.refreshTokenTtlSeconds);
      await r.rotateRefreshToken({
        oldRefreshTokenHash,
        grantId: grant.id,
        nonce,
        accessTokenHash: secretHash(pair.accessToken),
        accessExpiresAt: accessTokenExpiresAt,
        refreshTokenHash: secretHash(pair.refreshToken),
        refreshExpiresAt: refreshTokenExpiresAt,
        graceUntil: new Date(now.getTime() + lifetimes.refreshGraceSeconds * 1000),
        createdAt: now,
      });
      return { grantId: grant.id, customerId: customer.id, scopes: grant.scopes, ...pair, accessTokenExpiresAt, refreshTokenExpiresAt };
    });
  }

  /**
   * The grant behind an access token that `refusalOf` lets through (by default a live one,
   * accessTokenRefusal); otherwise its F.
   */
  async function liveGrant(accessToken: string, refusalOf: (token: AccessTokenRecord | undefined, now: Date) => AccessTokenRefusal | undefined = accessTokenRefusal) {
    const token = await repos.findAccessToken(secretHash(accessToken));
    const refusal = refusalOf(token, clock.now());
    if (refusal || !token) throw new DomainError(refusal ?? 'INVALID_TOKEN');
    return token.grant;
  }

  /** A refresh token rotated away: within the grace, the same new pair again; after it, unknown. */
  async function repeatedRefresh(r: TokenRepos, refreshToken: string, oldRefreshTokenHash: string, now: Date): Promise<IssuedTokens> {
    const rotation = await r.findRotation(oldRefreshTokenHash);
    if (!rotation || rotation.grant.revokedAt || rotation.graceUntil.getTime() <= now.getTime()) {
      throw new DomainError('INVALID_REFRESH_TOKEN');
    }
    const customer = requireUsable(await r.findCustomer(rotation.grant.customerId));
    const pair = rotatedTokens(rotation.nonce, refreshToken);
    if (secretHash(pair.refreshToken) !== rotation.refreshTokenHash) throw new Error(`rotation of grant ${rotation.grantId} does not derive again`);
    return {
      grantId: rotation.grantId,
      customerId: customer.id,
      scopes: rotation.grant.scopes,
      ...pair,
      accessTokenExpiresAt: rotation.accessExpiresAt,
      refreshTokenExpiresAt: rotation.refreshExpiresAt,
    };
  }

  return {
    /** `POST /app/v1/authCodes`: a single-use code for the app's logged-in customer (§3). */
    async issueAuthCode(customerId: string, scopes?: readonly AuthScope[]): Promise<IssuedAuthCode> {
      const now = clock.now();
      requireUsable(await repos.findCustomer(customerId));
      const authCode = newAuthCode();
      const normalised = normaliseScopes(scopes);
      const expiresAt = expiryAfter(now, lifetimes.authCodeTtlSeconds);
      await repos.insertAuthCode({ codeHash: secretHash(authCode), customerId, scopes: normalised, expiresAt, createdAt: now });
      return { authCode, expiresAt, scopes: normalised };
    },

    /**
     * applyToken (§3). The acquirerId is recorded on the grant (revision 2: not a gate) and, for
     * an AGREEMENT_PAY grant, on its Auto Debit agreement (§10), whose sealed live token follows
     * every rotation (agreements-repository.ts keeps only the token of the grant's current pair).
     * A grant of other scopes has no agreement, and its exchange costs no second statement.
     */
    async applyToken(input: ApplyTokenInput, acquirerId?: string): Promise<IssuedTokens> {
      const issued = await (input.grantType === 'AUTHORIZATION_CODE' ? exchangeAuthCode(input.authCode, input.acquirerId) : refresh(input.refreshToken));
      if (deps.agreements && acquirerId !== undefined && issued.scopes.includes('AGREEMENT_PAY')) {
        const { grantId, accessToken } = issued;
        await deps.agreements.remember({ grantId, accessToken, accessTokenHash: secretHash(accessToken), acquirerId, now: clock.now() });
      }
      return issued;
    },

    /** cancelToken (§3): revokes the access token's grant, so the refresh token too. Idempotent. */
    async cancelToken(accessToken: string): Promise<{ grantId: string }> {
      const grantId = await repos.revokeGrantOfAccessToken(secretHash(accessToken), clock.now());
      if (!grantId) throw new DomainError('INVALID_TOKEN');
      return { grantId };
    },

    /** inquiryUserInfo (§3): the user behind a valid access token. */
    async inquiryUserInfo(accessToken: string): Promise<UserInfo> {
      const grant = await liveGrant(accessToken);
      const customer = requireUsable(await repos.findCustomer(grant.customerId));
      return { userId: customer.id, scopes: grant.scopes };
    },

    /**
     * §10 Auto Debit: the grant id (the agreement) behind the access token a pay names as its
     * paymentMethodId, or its F (agreementTokenRefusal, token.ts). The synchronous pay asks this
     * only for a pay it refuses for another reason; the others are checked in their statement.
     */
    async authorizeAgreementPay(accessToken: string, customerId: string): Promise<{ grantId: string }> {
      const grant = await liveGrant(accessToken, (token, now) => agreementTokenRefusal(token, customerId, now));
      return { grantId: grant.id };
    },
  };
}

export type TokenUseCases = ReturnType<typeof tokenUseCases>;
