/**
 * §10 agreements (migration 0030): the AGREEMENT_PAY grants with their sealed live access token,
 * and the unbinding outbox on the same row. Every write is one statement; the step that revokes
 * the grant and moves the unbinding on is one statement too, so they commit together.
 */
import { type Kysely, sql } from 'kysely';
import type { TokenSealer } from '../adapters/token-seal.ts';
import type { AgreementRepository, ClaimedUnbinding, UnbindState } from '../domain/agreements/unbinding.ts';
import type { AuthScope } from '../domain/tokens/token.ts';
import type { Database } from './schema.ts';

const PENDING = sql`('CONSULT', 'NOTIFY')`;

/** What applyToken calls after issuing tokens: keeps the live access token of an AGREEMENT_PAY grant, sealed. */
export interface AgreementTokens {
  remember(t: { grantId: string; accessToken: string; acquirerId: string; now: Date }): Promise<void>;
}

/**
 * One statement, a no-op for a grant of other scopes: the agreement row with the sealed token,
 * replaced by the newest token on every refresh. The auth client and merchant Alipay+ names in
 * consultUnbinding are not in the MPP's applyToken; our choice: the acquirerId that bound it.
 */
export function agreementTokens(db: Kysely<Database>, sealer: TokenSealer): AgreementTokens {
  return {
    async remember(t) {
      const at = t.now.toISOString();
      await sql`
        insert into agreements (grant_id, customer_id, acquirer_id, auth_client_id, reference_merchant_id, access_token_sealed, created_at, updated_at)
        select id, customer_id, ${t.acquirerId}, ${t.acquirerId}, ${t.acquirerId}, ${sealer.seal(t.accessToken)}, ${at}::timestamptz, ${at}::timestamptz
          from grants where id = ${t.grantId} and 'AGREEMENT_PAY' = any(scopes)
        on conflict (grant_id) do update set access_token_sealed = excluded.access_token_sealed, updated_at = excluded.updated_at`.execute(db);
    },
  };
}

/** A sealed token the current MPP key cannot open (it was rotated) is reported as missing, not thrown: one row must not stop the batch. */
function openOrUndefined(sealer: TokenSealer, sealed: string): string | undefined {
  try {
    return sealer.open(sealed);
  } catch {
    return undefined;
  }
}

export function agreementRepository(db: Kysely<Database>, sealer: TokenSealer): AgreementRepository {
  return {
    async listActive(customerId) {
      const rows = await db
        .selectFrom('agreements as a')
        .innerJoin('grants as g', 'g.id', 'a.grant_id')
        .select(['a.grant_id', 'a.acquirer_id', 'g.scopes', 'a.created_at', 'a.unbind_state'])
        .where('a.customer_id', '=', customerId)
        .where('g.revoked_at', 'is', null)
        .orderBy('a.created_at')
        .limit(100)
        .execute();
      return rows.map((r) => ({
        agreementId: r.grant_id,
        acquirerId: r.acquirer_id,
        scopes: r.scopes as AuthScope[],
        createdAt: r.created_at,
        unbindState: r.unbind_state ?? undefined,
      }));
    },

    async requestUnbinding(customerId, agreementId, now) {
      const at = now.toISOString();
      const { rows } = await sql<{ state: UnbindState | null; asked: boolean }>`
        with asked as (
          update agreements a
             set unbind_state = 'CONSULT', unbind_requested_at = ${at}::timestamptz, unbind_next_attempt_at = ${at}::timestamptz,
                 unbind_last_error = null, updated_at = ${at}::timestamptz
            from grants g
           where a.grant_id = ${agreementId} and a.customer_id = ${customerId} and g.id = a.grant_id and g.revoked_at is null
             and (a.unbind_state is null or a.unbind_state = 'REFUSED')
          returning a.grant_id
        )
        select case when exists (select 1 from asked) then 'CONSULT' else a.unbind_state end as state,
               exists (select 1 from asked) as asked
          from (select 1) one
          left join agreements a on a.grant_id = ${agreementId} and a.customer_id = ${customerId}
          left join grants g on g.id = a.grant_id
         where exists (select 1 from asked) or (a.grant_id is not null and (g.revoked_at is null or a.unbind_state is not null))`.execute(db);
      const row = rows[0];
      if (!row) return undefined;
      return row.state ?? undefined;
    },

    async claimDue(o) {
      const leaseUntil = new Date(o.now.getTime() + o.leaseMs).toISOString();
      const only = o.agreementId === undefined ? sql`` : sql`and grant_id = ${o.agreementId}`;
      const { rows } = await sql<{
        grant_id: string;
        customer_id: string;
        unbind_state: 'CONSULT' | 'NOTIFY';
        unbind_attempts: number;
        unbind_requested_at: Date;
        auth_client_id: string;
        reference_merchant_id: string;
        access_token_sealed: string;
      }>`
        with due as (
          select grant_id from agreements
           where unbind_state in ${PENDING} and unbind_next_attempt_at <= ${o.now.toISOString()}::timestamptz ${only}
           order by unbind_next_attempt_at
           limit ${o.limit}
           for update skip locked
        )
        update agreements a
           set unbind_attempts = a.unbind_attempts + 1, unbind_next_attempt_at = ${leaseUntil}::timestamptz
          from due where a.grant_id = due.grant_id
        returning a.grant_id, a.customer_id, a.unbind_state, a.unbind_attempts, a.unbind_requested_at,
                  a.auth_client_id, a.reference_merchant_id, a.access_token_sealed`.execute(db);
      return rows.map(
        (r): ClaimedUnbinding => ({
          agreementId: r.grant_id,
          customerId: r.customer_id,
          state: r.unbind_state,
          attempt: r.unbind_attempts,
          requestedAt: r.unbind_requested_at,
          authClientId: r.auth_client_id,
          referenceMerchantId: r.reference_merchant_id,
          accessToken: openOrUndefined(sealer, r.access_token_sealed),
        }),
      );
    },

    async record(u, outcome, now) {
      const at = now.toISOString();
      const fenced = sql`grant_id = ${u.agreementId} and unbind_attempts = ${u.attempt} and unbind_state in ${PENDING}`;
      let changed: { rows: unknown[] };
      if (outcome.kind === 'allowed') {
        // The revocation and the move to NOTIFY in one statement: they commit together.
        changed = await sql`
          with moved as (
            update agreements set unbind_state = 'NOTIFY', unbind_next_attempt_at = ${at}::timestamptz, unbind_last_error = null, updated_at = ${at}::timestamptz
             where ${fenced} and unbind_state = 'CONSULT'
            returning grant_id
          ), revoked as (
            update grants set revoked_at = coalesce(revoked_at, ${at}::timestamptz) where id in (select grant_id from moved)
          )
          select grant_id from moved`.execute(db);
      } else if (outcome.kind === 'final') {
        changed = await sql`
          update agreements set unbind_state = ${outcome.state}, unbind_next_attempt_at = null, unbind_last_error = ${outcome.error?.slice(0, 500) ?? null},
                 updated_at = ${at}::timestamptz
           where ${fenced} returning grant_id`.execute(db);
      } else {
        changed = await sql`
          update agreements set unbind_next_attempt_at = ${outcome.nextAttemptAt.toISOString()}::timestamptz, unbind_last_error = ${outcome.error.slice(0, 500)},
                 updated_at = ${at}::timestamptz
           where ${fenced} returning grant_id`.execute(db);
      }
      return changed.rows.length > 0;
    },

    async state(agreementId) {
      const row = await db.selectFrom('agreements').select('unbind_state').where('grant_id', '=', agreementId).executeTakeFirst();
      return row?.unbind_state ?? undefined;
    },
  };
}
