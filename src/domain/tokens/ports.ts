/** What the §3 use cases need from storage. Implemented in src/persistence/tokens-repository.ts. */
import type { Customer } from '../customers/customer.ts';
import type { AuthScope } from './token.ts';

export interface AuthCodeRecord {
  readonly customerId: string;
  readonly scopes: readonly AuthScope[];
  readonly expiresAt: Date;
  readonly usedAt: Date | undefined;
}

export interface GrantRecord {
  readonly id: string;
  readonly customerId: string;
  readonly scopes: readonly AuthScope[];
  readonly refreshExpiresAt: Date;
  readonly revokedAt: Date | undefined;
}

export interface AccessTokenRecord {
  readonly expiresAt: Date;
  readonly grant: GrantRecord;
}

/** What redeeming a code issues: the grant (customer and scopes come from the code) and its first access token. */
export interface RedeemedCode {
  readonly grantId: string;
  readonly refreshTokenHash: string;
  readonly refreshExpiresAt: Date;
  readonly accessTokenHash: string;
  readonly accessExpiresAt: Date;
  /** §3 revision 2: the acquirerId applyToken came with (recorded, not a gate). */
  readonly acquirerId?: string | undefined;
}

/** §3 revision 2: a refresh token rotated away, and what replaced it (hashes and the nonce only). */
export interface RefreshRotation {
  readonly oldRefreshTokenHash: string;
  readonly grantId: string;
  readonly nonce: string;
  readonly accessTokenHash: string;
  readonly accessExpiresAt: Date;
  readonly refreshTokenHash: string;
  readonly refreshExpiresAt: Date;
  /** The old refresh token, and the access tokens issued before the rotation, work until then. */
  readonly graceUntil: Date;
  readonly createdAt: Date;
}

export interface TokenRepos {
  findCustomer(id: string): Promise<Customer | undefined>;

  insertAuthCode(code: { codeHash: string; customerId: string; scopes: readonly AuthScope[]; expiresAt: Date; createdAt: Date }): Promise<void>;
  /** A code as it is, with its customer (undefined when that row is gone), in one read. */
  findAuthCode(codeHash: string): Promise<(AuthCodeRecord & { readonly customer: Customer | undefined }) | undefined>;
  /**
   * §3 single use, in one statement: marks the code used at `now` when it is unused, unexpired
   * and its customer's status is `customerStatus` (compare-and-set), and issues the grant and its
   * first access token from it. Returns the customer id and the grant's scopes (the code's);
   * exactly one of any number of concurrent callers gets them. Otherwise nothing changes and the
   * answer is undefined.
   */
  redeemAuthCode(
    codeHash: string,
    now: Date,
    issue: RedeemedCode,
    customerStatus: string,
  ): Promise<{ readonly customerId: string; readonly scopes: readonly AuthScope[] } | undefined>;

  /**
   * The grant holding this refresh token, its row locked until the transaction ends (FOR UPDATE),
   * so a concurrent revocation waits for us or we see it.
   */
  lockGrantByRefreshTokenHash(refreshTokenHash: string): Promise<GrantRecord | undefined>;

  /**
   * §3 revision 2, in the caller's transaction (the grant row locked): records the rotation (its
   * primary key is the old refresh token's hash: one rotation per token), moves the grant to the
   * new refresh token and its expiry, caps the grant's earlier access tokens at the grace end and
   * stores the new access token.
   */
  rotateRefreshToken(r: RefreshRotation): Promise<void>;
  /** The rotation that replaced this refresh token, with its grant (revoked or not). */
  findRotation(oldRefreshTokenHash: string): Promise<(RefreshRotation & { readonly grant: GrantRecord }) | undefined>;

  /** The access token and the grant it was issued under (revoked or not, expired or not). */
  findAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined>;
  /**
   * Revokes the grant this access token was issued under, and so its refresh token and every
   * access token of the grant, in one statement. Keeps the first revocation time. Returns the
   * grant's id, or undefined when the access token is unknown.
   */
  revokeGrantOfAccessToken(tokenHash: string, now: Date): Promise<string | undefined>;
}
