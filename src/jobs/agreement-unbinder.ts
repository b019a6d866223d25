/**
 * §10 unbinding outbox: consultUnbinding, revoke, authNotify TOKEN_CANCELED, retried with backoff
 * until answered (domain/agreements/unbinding.ts). Leased rows (SKIP LOCKED), so any number of
 * instances can run it; state in Postgres, so a restart resumes where it stopped.
 */
import type { AgreementUseCases } from '../domain/agreements/unbinding.ts';
import type { Job } from './loop.ts';

export function agreementUnbinder(agreements: Pick<AgreementUseCases, 'runDue'>, batchSize = 20): Job {
  return { name: 'agreement-unbinder', runOnce: (now) => agreements.runDue(now, batchSize) };
}
