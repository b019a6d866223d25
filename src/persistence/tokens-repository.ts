/**
 * §3 storage: auth codes, grants and access tokens, by their SHA-256 digests only. The
 * single-use and revocation rules are enforced here, in Postgres: a compare-and-set UPDATE claims
 * a code (in the same statement as the grant and its first access token), a unique key allows one
 * grant per code, a row lock orders refresh against revocation.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Customer } from '../domain/customers/customer.ts';
import type { UnitOfWork } from '../domain/ports.ts';
import type { AccessTokenRecord, AuthCodeRecord, GrantRecord, TokenRepos } from '../domain/tokens/ports.ts';
import type { AuthScope } from '../domain/tokens/token.ts';
import { findCustomer, toCustomer } from './customers-repository.ts';
import type { Db, AuthCodesTable, Database, GrantsTable } from './schema.ts';
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

export function tokenRepos(db: Db): TokenRepos {
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

    async redeemAuthCode(codeHash, now, issue, customerStatus) {
      const at = now.toISOString();
      const { rows } = await sql<{ customer_id: string; scopes: string[] }>`
        with code as (
          update auth_codes set used_at = ${at}::timestamptz
           where code_hash = ${codeHash} and used_at is null and expires_at > ${at}::timestamptz
             and exists (select 1 from customers c where c.id = auth_codes.customer_id and c.status = ${customerStatus})
          returning customer_id, scopes
        ), granted as (
          insert into grants (id, customer_id, auth_code_hash, scopes, refresh_token_hash, refresh_expires_at, created_at, acquirer_id)
          select ${issue.grantId}, customer_id, ${codeHash}, scopes, ${issue.refreshTokenHash},
                 ${issue.refreshExpiresAt.toISOString()}::timestamptz, ${at}::timestamptz, ${issue.acquirerId ?? null}::text
            from code
          returning id, customer_id, scopes
        ), issued as (
          insert into access_tokens (token_hash, grant_id, expires_at, created_at)
          select ${issue.accessTokenHash}, id, ${issue.accessExpiresAt.toISOString()}::timestamptz, ${at}::timestamptz from granted
        )
        select customer_id, scopes from granted`.execute(db);
      const row = rows[0];
      return row && { customerId: row.customer_id, scopes: toScopes(row.scopes) };
    },

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

    async findAccessToken(tokenHash): Promise<AccessTokenRecord | undefined> {
      const row = await db
        .selectFrom('access_tokens as t')
        .innerJoin('grants as g', 'g.id', 't.grant_id')
        .select(['t.expires_at', 'g.id', 'g.customer_id', 'g.scopes', 'g.refresh_expires_at', 'g.revoked_at'])
        .where('t.token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? { expiresAt: row.expires_at, grant: toGrant(row) } : undefined;
    },

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
