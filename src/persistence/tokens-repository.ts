/**
 * §3 storage: auth codes, grants and access tokens, by their SHA-256 digests only. The
 * single-use and revocation rules are enforced here, in Postgres: a compare-and-set UPDATE claims
 * a code (in the same statement as the grant and its first access token; exchanges that arrive
 * together share that statement), a unique key allows one grant per code, a row lock orders
 * refresh against revocation.
 */
import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { Customer } from '../domain/customers/customer.ts';
import type { UnitOfWork } from '../domain/ports.ts';
import type { AccessTokenRecord, AuthCodeRecord, GrantRecord, RedeemedCode, TokenRepos } from '../domain/tokens/ports.ts';
import type { AccessTokenRefusal, AuthScope } from '../domain/tokens/token.ts';
import { findCustomer, toCustomer } from './customers-repository.ts';
import { GROUP_COMMIT, type GroupCommitOptions, groupCommit } from './group-commit.ts';
import type { Db, AuthCodesTable, Database, GrantsTable, OrNull } from './schema.ts';
import { unitOfWork } from './unit-of-work.ts';

// Rows only ever hold scopes that passed the allow-list (the app route validates them).
const toScopes = (s: string[]) => s as AuthScope[];

function toAuthCode(row: Pick<Selectable<AuthCodesTable>, 'customer_id' | 'scopes' | 'expires_at' | 'used_at'>): AuthCodeRecord {
  return { customerId: row.customer_id, scopes: toScopes(row.scopes), expiresAt: row.expires_at, usedAt: row.used_at ?? undefined };
}

type GrantRow = Pick<Selectable<GrantsTable>, 'id' | 'customer_id' | 'scopes' | 'refresh_expires_at' | 'revoked_at'>;

function toGrant(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    scopes: toScopes(row.scopes),
    refreshExpiresAt: row.refresh_expires_at,
    revokedAt: row.revoked_at ?? undefined,
  };
}

const grantColumns = ['id', 'customer_id', 'scopes', 'refresh_expires_at', 'revoked_at'] as const;

/** One exchange for `redeemAuthCodes`: what `TokenRepos.redeemAuthCode` takes. */
interface Redemption {
  readonly codeHash: string;
  readonly now: Date;
  readonly issue: RedeemedCode;
  readonly customerStatus: string;
}

type Redeemed = { readonly customerId: string; readonly scopes: readonly AuthScope[] } | undefined;

/**
 * §3 the exchanges of a batch in one statement (group-commit.ts): for each code that is unused,
 * unexpired and of a customer in `customerStatus`, a compare-and-set UPDATE marks it used and the
 * grant and its first access token are inserted; any other exchange changes nothing and gets
 * undefined. A code twice in one batch is updated once, so exactly one of the two gets the grant,
 * as between concurrent statements. Two batches that share codes can deadlock on them; Postgres
 * then aborts one, and group commit writes its exchanges again one by one.
 */
async function redeemAuthCodes(db: Db, rs: readonly Redemption[]): Promise<Redeemed[]> {
  const col = <T>(pick: (r: Redemption) => T) => rs.map(pick);
  const { rows } = await sql<{ n: string; customer_id: string; scopes: string[] }>`
    with input as (
      select * from unnest(
        ${col((r) => r.codeHash)}::text[], ${col((r) => r.now.toISOString())}::timestamptz[], ${col((r) => r.customerStatus)}::text[],
        ${col((r) => r.issue.grantId)}::text[], ${col((r) => r.issue.refreshTokenHash)}::text[], ${col((r) => r.issue.refreshExpiresAt.toISOString())}::timestamptz[],
        ${col((r) => r.issue.accessTokenHash)}::text[], ${col((r) => r.issue.accessExpiresAt.toISOString())}::timestamptz[], ${col((r) => r.issue.acquirerId ?? null)}::text[]
      ) with ordinality as i(code_hash, at, customer_status, grant_id, refresh_token_hash, refresh_expires_at, access_token_hash, access_expires_at, acquirer_id, n)
    ), code as (
      update auth_codes a set used_at = i.at
        from input i
       where a.code_hash = i.code_hash and a.used_at is null and a.expires_at > i.at
         and exists (select 1 from customers c where c.id = a.customer_id and c.status = i.customer_status)
      returning i.n, a.customer_id, a.scopes
    ), granted as (
      insert into grants (id, customer_id, auth_code_hash, scopes, refresh_token_hash, refresh_expires_at, created_at, acquirer_id)
      select i.grant_id, code.customer_id, i.code_hash, code.scopes, i.refresh_token_hash, i.refresh_expires_at, i.at, i.acquirer_id
        from code join input i on i.n = code.n
      returning id
    ), issued as (
      insert into access_tokens (token_hash, grant_id, expires_at, created_at)
      select i.access_token_hash, granted.id, i.access_expires_at, i.at from granted join input i on i.grant_id = granted.id
    )
    select code.n, code.customer_id, code.scopes from code`.execute(db);
  const byIndex = new Map(rows.map((r) => [Number(r.n), r]));
  return rs.map((_, i) => {
    const row = byIndex.get(i + 1);
    return row && { customerId: row.customer_id, scopes: toScopes(row.scopes) };
  });
}

/**
 * §3/§10 the access tokens of a batch of hashes with their grants, in one round trip (the Auto
 * Debit pay's check and inquiryUserInfo, when many arrive at once): one record, or undefined, per hash.
 */
async function findAccessTokens(db: Db, hashes: readonly string[]): Promise<(AccessTokenRecord | undefined)[]> {
  const { rows } = await sql<OrNull<GrantRow & { expires_at: Date }>>`
    select t.expires_at, g.id, g.customer_id, g.scopes, g.refresh_expires_at, g.revoked_at
      from unnest(${hashes}::text[]) with ordinality as i(token_hash, n)
      left join access_tokens t on t.token_hash = i.token_hash
      left join grants g on g.id = t.grant_id
     order by i.n`.execute(db);
  if (rows.length !== hashes.length) throw new Error(`looked up ${hashes.length} access tokens, read back ${rows.length}`);
  // A hash without a token reads as a row of nulls (the left joins).
  return rows.map((row) => (row.id !== null ? { expiresAt: row.expires_at as Date, grant: toGrant(row as GrantRow) } : undefined));
}

/**
 * agreementTokenRefusal (domain/tokens/token.ts) as an SQL expression, for the statement that
 * stores a synchronous pay (sync-pay-store.ts): over the access token `t` and its grant `g`, left
 * joined on the hash the pay names, for the customer `customerId` at `now`. It reads as the
 * refusal's result code, or null when the token may pay. test/integration/agreement-token-rule.test.ts
 * holds it to the same answers as the function.
 */
export function agreementTokenRefusalSql(customerId: RawBuilder<unknown>, now: RawBuilder<unknown>) {
  return sql<AccessTokenRefusal | null>`case
      when g.id is null or g.revoked_at is not null then ${sql.lit('INVALID_TOKEN' satisfies AccessTokenRefusal)}
      when t.expires_at <= ${now} then ${sql.lit('EXPIRED_ACCESS_TOKEN' satisfies AccessTokenRefusal)}
      when not ('AGREEMENT_PAY' = any(g.scopes)) or g.customer_id <> ${customerId} then ${sql.lit('INVALID_TOKEN' satisfies AccessTokenRefusal)}
    end`;
}

/** The §3 repositories; exchanges, and access-token lookups, that arrive together share a statement (group-commit.ts). */
export function tokenRepos(db: Db, options: GroupCommitOptions = GROUP_COMMIT): TokenRepos {
  const redeem = groupCommit('auth_code_redeem', (rs: readonly Redemption[]) => redeemAuthCodes(db, rs), options);
  const findAccessToken = groupCommit('access_token_by_hash', (hashes: readonly string[]) => findAccessTokens(db, hashes), options);
  return {
    findCustomer: (id): Promise<Customer | undefined> => findCustomer(db, id),

    async insertAuthCode(c) {
      await db
        .insertInto('auth_codes')
        .values({ code_hash: c.codeHash, customer_id: c.customerId, scopes: [...c.scopes], expires_at: c.expiresAt, created_at: c.createdAt })
        .execute();
    },

    async findAuthCode(codeHash) {
      const row = await db
        .selectFrom('auth_codes as a')
        .leftJoin('customers as c', 'c.id', 'a.customer_id')
        .select(['a.customer_id', 'a.scopes', 'a.expires_at', 'a.used_at', 'c.status', 'c.currency', 'c.created_at'])
        .where('a.code_hash', '=', codeHash)
        .executeTakeFirst();
      if (!row) return undefined;
      const customer =
        row.status !== null && row.currency !== null && row.created_at !== null
          ? toCustomer({ id: row.customer_id, status: row.status, currency: row.currency, created_at: row.created_at })
          : undefined;
      return { ...toAuthCode(row), customer };
    },

    redeemAuthCode: (codeHash, now, issue, customerStatus) => redeem({ codeHash, now, issue, customerStatus }),

    async lockGrantByRefreshTokenHash(refreshTokenHash) {
      const row = await db.selectFrom('grants').select(grantColumns).where('refresh_token_hash', '=', refreshTokenHash).forUpdate().executeTakeFirst();
      return row ? toGrant(row) : undefined;
    },

    async rotateRefreshToken(r) {
      await db
        .insertInto('refresh_rotations')
        .values({
          old_refresh_token_hash: r.oldRefreshTokenHash,
          grant_id: r.grantId,
          nonce: r.nonce,
          access_token_hash: r.accessTokenHash,
          access_expires_at: r.accessExpiresAt,
          refresh_token_hash: r.refreshTokenHash,
          refresh_expires_at: r.refreshExpiresAt,
          grace_until: r.graceUntil,
          created_at: r.createdAt,
        })
        .execute();
      await db.updateTable('grants').set({ refresh_token_hash: r.refreshTokenHash, refresh_expires_at: r.refreshExpiresAt }).where('id', '=', r.grantId).execute();
      // The old pair works until the grace ends (an access token issued later is left alone).
      await db
        .updateTable('access_tokens')
        .set((eb) => ({ expires_at: eb.fn('least', ['expires_at', eb.val(r.graceUntil)]) }))
        .where('grant_id', '=', r.grantId)
        .where('created_at', '<', r.graceUntil)
        .execute();
      await db
        .insertInto('access_tokens')
        .values({ token_hash: r.accessTokenHash, grant_id: r.grantId, expires_at: r.accessExpiresAt, created_at: r.createdAt })
        .execute();
    },

    async findRotation(oldRefreshTokenHash) {
      const row = await db
        .selectFrom('refresh_rotations as r')
        .innerJoin('grants as g', 'g.id', 'r.grant_id')
        .select([
          'r.old_refresh_token_hash',
          'r.nonce',
          'r.access_token_hash',
          'r.access_expires_at',
          'r.refresh_token_hash as new_refresh_token_hash',
          'r.refresh_expires_at as new_refresh_expires_at',
          'r.grace_until',
          'r.created_at as rotated_at',
          'g.id',
          'g.customer_id',
          'g.scopes',
          'g.refresh_expires_at',
          'g.revoked_at',
        ])
        .where('r.old_refresh_token_hash', '=', oldRefreshTokenHash)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        oldRefreshTokenHash: row.old_refresh_token_hash,
        grantId: row.id,
        nonce: row.nonce,
        accessTokenHash: row.access_token_hash,
        accessExpiresAt: row.access_expires_at,
        refreshTokenHash: row.new_refresh_token_hash,
        refreshExpiresAt: row.new_refresh_expires_at,
        graceUntil: row.grace_until,
        createdAt: row.rotated_at,
        grant: toGrant(row),
      };
    },

    findAccessToken,

    async revokeGrantOfAccessToken(tokenHash, now) {
      const row = await db
        .updateTable('grants')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)) }))
        .where('id', '=', (eb) => eb.selectFrom('access_tokens').select('grant_id').where('token_hash', '=', tokenHash))
        .returning('id')
        .executeTakeFirst();
      return row?.id;
    },
  };
}

/** Runs §3 work in one transaction with the repositories bound to it. */
export function tokenUnitOfWork(db: Kysely<Database>): UnitOfWork<TokenRepos> {
  return unitOfWork(db, tokenRepos);
}
