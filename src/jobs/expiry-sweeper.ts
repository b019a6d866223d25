/**
 * §4 expiry sweeper: closes every PROCESSING order whose expiry (paymentExpiryTime, else
 * ORDER_EXPIRY_SECONDS after acceptance) is at or before `now`, as CLOSED with F ORDER_IS_CLOSED.
 * One bounded batch per run, in one transaction (FOR UPDATE SKIP LOCKED: any number of instances
 * may sweep at once, each order is closed exactly once). The loop (loop.ts) calls runOnce again at
 * once while a batch was full of work. The notify outbox joins the batch's transaction through the
 * repository's NotifyOutbox port.
 */
import type { PaymentRepos } from '../domain/payments/ports.ts';
import type { UnitOfWork } from '../domain/ports.ts';
import type { Job } from './loop.ts';

export const DEFAULT_SWEEP_BATCH = 500;

export function expirySweeper(deps: { uow: UnitOfWork<Pick<PaymentRepos, 'payments'>>; batchSize?: number }): Job {
  const batchSize = deps.batchSize ?? DEFAULT_SWEEP_BATCH;
  return {
    name: 'expiry-sweeper',
    async runOnce(now: Date): Promise<number> {
      const closed = await deps.uow.run(({ payments }) => payments.closeOverdue(now, batchSize));
      return closed.length;
    },
  };
}
