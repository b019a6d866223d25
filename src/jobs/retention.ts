/**
 * Issue 16 item 6: nothing grows forever. One job, one bounded batch per kind per run (the loop
 * calls it again at once while a run found work), each kind after its configured age:
 *   delivered notifications   RETENTION_DELIVERED_NOTIFICATIONS_DAYS after delivery
 *   auth codes                RETENTION_AUTH_CODES_DAYS after use or expiry
 *   access tokens             RETENTION_TOKENS_DAYS after expiry
 *   agreements (§10)          RETENTION_TOKENS_DAYS after their grant's expiry or revocation, unless an unbinding is due
 *   grants (refresh tokens)   RETENTION_TOKENS_DAYS after expiry or revocation (their access tokens with them)
 *   order.env (device data)   RETENTION_ORDER_ENV_DAYS after acceptance, final payments only
 * Every deletion is counted in `mpp_retention_deleted_total{kind}`.
 */
import type { RetentionKind, RetentionRepository } from '../persistence/retention-repository.ts';
import type { Job } from './loop.ts';

export interface RetentionSettings {
  readonly retentionDeliveredNotificationsDays: number;
  readonly retentionAuthCodesDays: number;
  readonly retentionTokensDays: number;
  readonly retentionOrderEnvDays: number;
  readonly retentionBatchSize: number;
}

const DAY_MS = 86_400_000;

export function retentionJob(deps: { repo: RetentionRepository; settings: RetentionSettings; onDeleted?: (kind: RetentionKind, n: number) => void }): Job {
  const s = deps.settings;
  const before = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);
  const steps: readonly [RetentionKind, (now: Date) => Promise<number>][] = [
    ['delivered_notifications', (now) => deps.repo.deliveredNotifications(before(now, s.retentionDeliveredNotificationsDays), s.retentionBatchSize)],
    ['auth_codes', (now) => deps.repo.authCodes(before(now, s.retentionAuthCodesDays), s.retentionBatchSize)],
    ['access_tokens', (now) => deps.repo.accessTokens(before(now, s.retentionTokensDays), s.retentionBatchSize)],
    ['agreements', (now) => deps.repo.agreements(before(now, s.retentionTokensDays), s.retentionBatchSize)],
    ['grants', (now) => deps.repo.grants(before(now, s.retentionTokensDays), s.retentionBatchSize)],
    ['order_env', (now) => deps.repo.orderEnv(before(now, s.retentionOrderEnvDays), s.retentionBatchSize)],
  ];
  return {
    name: 'retention',
    async runOnce(now: Date): Promise<number> {
      let total = 0;
      for (const [kind, step] of steps) {
        const n = await step(now);
        if (n > 0) deps.onDeleted?.(kind, n);
        total += n;
      }
      return total;
    },
  };
}
