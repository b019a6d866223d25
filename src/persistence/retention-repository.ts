/**
 * Issue 16: the retention job's statements. Each deletes (or strips) at most `limit` rows older
 * than its cutoff, picked with FOR UPDATE SKIP LOCKED so any number of instances may run it, and
 * says how many it touched. Only what is finished is touched: a delivered notification, a used or
 * expired auth code, an expired access token, an expired or revoked grant (with its access tokens),
 * the §10 agreement of such a grant (its sealed token and its finished unbinding; never one whose
 * unbinding is still due: the outbox needs it), the device data of a final payment.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

export type RetentionKind = 'delivered_notifications' | 'auth_codes' | 'access_tokens' | 'agreements' | 'grants' | 'order_env';

const affected = (r: { numAffectedRows?: bigint | undefined }) => Number(r.numAffectedRows ?? 0n);

export function retentionRepository(db: Kysely<Database>) {
  return {
    async deliveredNotifications(cutoff: Date, limit: number): Promise<number> {
      const r = await sql`
        delete from notify_outbox where id in (
          select id from notify_outbox where delivered_at is not null and delivered_at < ${cutoff}
          order by delivered_at limit ${limit} for update skip locked)`.execute(db);
      return affected(r);
    },
    /** Used codes by their use, unused ones by their expiry. A grant made from one keeps its row (auth_code_hash set null). */
    async authCodes(cutoff: Date, limit: number): Promise<number> {
      const r = await sql`
        delete from auth_codes where code_hash in (
          select code_hash from auth_codes where expires_at < ${cutoff} or (used_at is not null and used_at < ${cutoff})
          limit ${limit} for update skip locked)`.execute(db);
      return affected(r);
    },
    async accessTokens(cutoff: Date, limit: number): Promise<number> {
      const r = await sql`
        delete from access_tokens where token_hash in (
          select token_hash from access_tokens where expires_at < ${cutoff}
          order by expires_at limit ${limit} for update skip locked)`.execute(db);
      return affected(r);
    },
    /**
     * §10 agreements whose grant ended (refresh expired, or revoked: unbound by us, cancelled by
     * Alipay+) before the cutoff, unless an unbinding is still due (CONSULT, NOTIFY). They go
     * before their grants, which cannot be deleted while an agreement names them.
     */
    async agreements(cutoff: Date, limit: number): Promise<number> {
      const r = await sql`
        delete from agreements where grant_id in (
          select a.grant_id from agreements a join grants g on g.id = a.grant_id
           where (a.unbind_state is null or a.unbind_state not in ('CONSULT', 'NOTIFY'))
             and (g.refresh_expires_at < ${cutoff} or (g.revoked_at is not null and g.revoked_at < ${cutoff}))
           limit ${limit} for update of a skip locked)`.execute(db);
      return affected(r);
    },
    /** A grant whose refresh token expired, or that was revoked, before the cutoff (and no agreement left on it); its access tokens first. */
    async grants(cutoff: Date, limit: number): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const ids = (
          await sql<{ id: string }>`
            select id from grants g where (refresh_expires_at < ${cutoff} or (revoked_at is not null and revoked_at < ${cutoff}))
              and not exists (select 1 from agreements a where a.grant_id = g.id)
            limit ${limit} for update skip locked`.execute(trx)
        ).rows.map((r) => r.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('access_tokens').where('grant_id', 'in', ids).execute();
        return Number((await trx.deleteFrom('grants').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
      });
    },
    /** Strips `order.env` (device data) from final payments created before the cutoff. */
    async orderEnv(cutoff: Date, limit: number): Promise<number> {
      const r = await sql`
        update payments set request = request #- '{order,env}' where id in (
          select id from payments where request->'order' ? 'env' and status <> 'PROCESSING' and created_at < ${cutoff}
          limit ${limit} for update skip locked)`.execute(db);
      return affected(r);
    },
  };
}

export type RetentionRepository = ReturnType<typeof retentionRepository>;
