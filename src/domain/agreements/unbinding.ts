/**
 * §10 Auto Debit bindings from the user's side: the app lists its agreements and removes one.
 *
 * An agreement is a grant of scope AGREEMENT_PAY (issued by applyToken from an auth code the
 * user's agreement page asked for). Removing it takes three steps, in this order (§10):
 *   1. consultUnbinding: ask Alipay+ whether the auth client allows it;
 *   2. when it does, revoke the grant (its refresh token and every access token);
 *   3. authNotify TOKEN_CANCELED: tell Alipay+.
 * The steps run from an outbox (the agreement row's unbind_state): the request is recorded first,
 * step 2 and the move to step 3 commit together, and a sender leases a due row before it goes to
 * the network and records the outcome fenced by its attempt number. A crash anywhere repeats at
 * most the network call in flight, which is idempotent on Alipay+'s side (a question, and a
 * notification of the same cancelled token); nothing is lost. The DELETE runs the steps once
 * inline, so the app usually sees the outcome at once; the job retries the rest with backoff.
 */
import { DomainError } from '../errors.ts';
import type { Clock, Logger } from '../ports.ts';
import type { AuthScope } from '../tokens/token.ts';

export type UnbindState = 'CONSULT' | 'NOTIFY' | 'UNBOUND' | 'REFUSED';

export interface Agreement {
  readonly agreementId: string;
  readonly acquirerId: string;
  readonly scopes: readonly AuthScope[];
  readonly createdAt: Date;
  /** Where an unbinding the user asked for stands; undefined when none was asked. */
  readonly unbindState: UnbindState | undefined;
}

/** A due unbinding, leased for one attempt. */
export interface ClaimedUnbinding {
  readonly agreementId: string;
  readonly customerId: string;
  readonly state: 'CONSULT' | 'NOTIFY';
  readonly attempt: number;
  readonly requestedAt: Date;
  readonly authClientId: string;
  readonly referenceMerchantId: string;
  /** The live access token, unsealed; undefined when it cannot be (the MPP key was rotated since). */
  readonly accessToken: string | undefined;
}

export type UnbindingCallOutcome =
  /** A signed S answer; for consultUnbinding, whether the auth client allows it. */
  | { readonly kind: 'success'; readonly allowUnbinding: boolean }
  /** A signed F answer: final. */
  | { readonly kind: 'refused'; readonly problem: string }
  /** No provable answer, or U: retry. */
  | { readonly kind: 'unknown'; readonly problem: string };

export interface AgreementGateway {
  consultUnbinding(a: { authClientId: string; referenceMerchantId: string; accessToken: string }): Promise<UnbindingCallOutcome>;
  notifyTokenCanceled(a: { authClientId: string; referenceMerchantId: string; accessToken: string; customerId: string }): Promise<UnbindingCallOutcome>;
}

export type UnbindingRecord =
  | { readonly kind: 'allowed' } // revoke the grant and move to NOTIFY, due now (one transaction)
  | { readonly kind: 'final'; readonly state: 'UNBOUND' | 'REFUSED'; readonly error?: string | undefined }
  | { readonly kind: 'retry'; readonly nextAttemptAt: Date; readonly error: string };

export interface AgreementRepository {
  /** The customer's live agreements (grant not revoked), oldest first. */
  listActive(customerId: string): Promise<Agreement[]>;
  /**
   * Records the user's request (state CONSULT, due at `now`) when the agreement is the customer's,
   * live, and not already being unbound; returns its state after the call, undefined when there
   * is no such live agreement.
   */
  requestUnbinding(customerId: string, agreementId: string, now: Date): Promise<UnbindState | undefined>;
  /** Leases up to `limit` due unbindings (or only `agreementId`) until now + leaseMs, skipping rows another sender holds. */
  claimDue(o: { now: Date; limit: number; leaseMs: number; agreementId?: string }): Promise<ClaimedUnbinding[]>;
  /** Records an attempt's outcome, fenced by its attempt number; false when a later attempt took the row. */
  record(u: Pick<ClaimedUnbinding, 'agreementId' | 'attempt'>, outcome: UnbindingRecord, now: Date): Promise<boolean>;
  state(agreementId: string): Promise<UnbindState | undefined>;
}

export interface UnbindingPolicy {
  readonly leaseMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** After this long since the request, a consult that never got an answer is given up (REFUSED), a notify is recorded as done. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_UNBINDING_POLICY: UnbindingPolicy = { leaseMs: 60_000, baseDelayMs: 5_000, maxDelayMs: 10 * 60_000, giveUpAfterMs: 7 * 24 * 3_600_000 };

export interface AgreementDeps {
  readonly repo: AgreementRepository;
  readonly gateway: AgreementGateway;
  readonly clock: Clock;
  readonly policy?: UnbindingPolicy;
  readonly random?: () => number;
  readonly log?: Logger;
}

export function agreementUseCases(deps: AgreementDeps) {
  const policy = deps.policy ?? DEFAULT_UNBINDING_POLICY;
  const random = deps.random ?? Math.random;

  function retryOrGiveUp(u: ClaimedUnbinding, now: Date, problem: string): UnbindingRecord {
    if (now.getTime() - u.requestedAt.getTime() >= policy.giveUpAfterMs) {
      // A consult never answered leaves the binding as it was; a notify never acknowledged leaves it unbound (the grant is revoked).
      return { kind: 'final', state: u.state === 'CONSULT' ? 'REFUSED' : 'UNBOUND', error: `gave up: ${problem}` };
    }
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(u.attempt - 1, 0), 30));
    return { kind: 'retry', nextAttemptAt: new Date(now.getTime() + Math.max(1_000, Math.floor(random() * ceiling))), error: problem };
  }

  /** One attempt of the step the unbinding is at. */
  async function step(u: ClaimedUnbinding, now: Date): Promise<void> {
    const accessToken = u.accessToken;
    let record: UnbindingRecord;
    if (accessToken === undefined) {
      record = retryOrGiveUp(u, now, 'the sealed access token cannot be opened (MPP key rotated?)');
    } else if (u.state === 'CONSULT') {
      const call = { authClientId: u.authClientId, referenceMerchantId: u.referenceMerchantId, accessToken };
      const outcome = await deps.gateway.consultUnbinding(call);
      if (outcome.kind === 'success') record = outcome.allowUnbinding ? { kind: 'allowed' } : { kind: 'final', state: 'REFUSED', error: 'allowUnbinding false' };
      else if (outcome.kind === 'refused') record = { kind: 'final', state: 'REFUSED', error: outcome.problem };
      else record = retryOrGiveUp(u, now, outcome.problem);
    } else {
      const call = { authClientId: u.authClientId, referenceMerchantId: u.referenceMerchantId, accessToken };
      const outcome = await deps.gateway.notifyTokenCanceled({ ...call, customerId: u.customerId });
      // An F to a notification is final too: the grant is revoked either way.
      if (outcome.kind === 'success') record = { kind: 'final', state: 'UNBOUND' };
      else if (outcome.kind === 'refused') record = { kind: 'final', state: 'UNBOUND', error: outcome.problem };
      else record = retryOrGiveUp(u, now, outcome.problem);
    }
    const recorded = await deps.repo.record(u, record, now);
    deps.log?.info({ agreementId: u.agreementId, step: u.state, attempt: u.attempt, outcome: record.kind, recorded }, 'agreement unbinding step');
  }

  /** Runs the due steps of `agreementId` (or of up to `limit` agreements) until none is due now. */
  async function drain(now: Date, o: { limit: number; agreementId?: string }): Promise<number> {
    let handled = 0;
    // At most the two steps, CONSULT then NOTIFY, per agreement in one call.
    for (let round = 0; round < 2; round++) {
      const due = await deps.repo.claimDue({ now, limit: o.limit, leaseMs: policy.leaseMs, agreementId: o.agreementId });
      if (due.length === 0) break;
      await Promise.all(due.map((u) => step(u, now)));
      handled += due.length;
    }
    return handled;
  }

  return {
    /** `GET /app/v1/agreements`. */
    list: (customerId: string) => deps.repo.listActive(customerId),

    /** `DELETE /app/v1/agreements/{agreementId}`: records the request, runs it once, says where it stands. */
    async unbind(customerId: string, agreementId: string): Promise<UnbindState> {
      const now = deps.clock.now();
      const state = await deps.repo.requestUnbinding(customerId, agreementId, now);
      if (!state) throw new DomainError('AGREEMENT_NOT_EXIST');
      if (state === 'CONSULT' || state === 'NOTIFY') await drain(now, { limit: 1, agreementId });
      return (await deps.repo.state(agreementId)) ?? state;
    },

    /** The outbox's job: one bounded batch of due steps. */
    runDue: (now: Date, limit = 20) => drain(now, { limit }),
  };
}

export type AgreementUseCases = ReturnType<typeof agreementUseCases>;
