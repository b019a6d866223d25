/** Prometheus metrics: request counts and latency per route and result code, plus job gauges. */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { NotificationQueue } from '../domain/payments/notify.ts';
import type { Clock } from '../domain/ports.ts';
import type { AttemptOutcome } from '../jobs/notify-dispatcher.ts';

export interface Metrics {
  readonly registry: Registry;
  /** Registers a gauge whose value is read at scrape time (e.g. the notify backlog). */
  gauge(name: string, help: string, read: () => Promise<number> | number): void;
}

export function createMetrics(): Metrics & { requests: Counter; latency: Histogram } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'mpp_http_requests_total',
    help: 'HTTP requests by route, method, status code and Alipay+ result code',
    labelNames: ['route', 'method', 'status_code', 'result_code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'mpp_http_request_duration_seconds',
    help: 'HTTP request latency by route and result code',
    labelNames: ['route', 'result_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    requests,
    latency,
    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          try {
            this.set(await read());
          } catch {
            // A failed read leaves the last value; the scrape itself must not fail.
          }
        },
      });
    },
  };
}

export function installMetrics(app: FastifyInstance, m: ReturnType<typeof createMetrics>): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const resultCode = req.resultCode ?? '';
    m.requests.inc({ route, method: req.method, status_code: String(reply.statusCode), result_code: resultCode });
    m.latency.observe({ route, result_code: resultCode }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    reply.header('content-type', m.registry.contentType);
    return m.registry.metrics();
  });
}

/**
 * The notify outbox in /metrics: backlog gauges read at scrape time (one query per scrape) and a
 * counter of attempts by outcome. Returns the `onAttempt` hook for the dispatcher.
 */
export function registerNotifyMetrics(metrics: Metrics, queue: Pick<NotificationQueue, 'backlog'>, clock: Clock): (outcome: AttemptOutcome) => void {
  let snapshot: { at: number; value: ReturnType<NotificationQueue['backlog']> } | undefined;
  const backlog = () => {
    const now = Date.now();
    if (!snapshot || now - snapshot.at > 1000) snapshot = { at: now, value: queue.backlog() };
    return snapshot.value;
  };
  metrics.gauge('mpp_notify_outbox_pending', 'notifyPayment notifications not yet delivered (nor given up)', async () => (await backlog()).pending);
  metrics.gauge('mpp_notify_outbox_oldest_pending_seconds', 'Age of the oldest undelivered notifyPayment notification', async () => {
    const oldest = (await backlog()).oldestPendingCreatedAt;
    return oldest ? Math.max(0, (clock.now().getTime() - oldest.getTime()) / 1000) : 0;
  });
  metrics.gauge('mpp_notify_outbox_failed', 'notifyPayment notifications given up after the retry horizon', async () => (await backlog()).failed);
  const attempts = new Counter({
    name: 'mpp_notify_attempts_total',
    help: 'notifyPayment delivery attempts by outcome',
    labelNames: ['outcome'],
    registers: [metrics.registry],
  });
  return (outcome) => attempts.inc({ outcome });
}

/** Group commit (persistence/group-commit.ts): how many calls each batched statement carried. */
export function batchSizeHistogram(m: Metrics): (statement: string, size: number) => void {
  const sizes = new Histogram({
    name: 'mpp_db_batch_size',
    help: 'Calls carried by one batched statement (group commit), by statement',
    labelNames: ['statement'],
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [m.registry],
  });
  return (statement, size) => sizes.observe({ statement }, size);
}

/** §6 revision 2: unsigned inquiryCodeRules answers taken (https, or CODE_RULES_ACCEPT_UNSIGNED). */
export function unsignedCodeRulesCounter(m: Metrics): () => void {
  const counter = new Counter({
    name: 'mpp_code_rules_unsigned_answers_total',
    help: 'inquiryCodeRules answers taken without an Alipay+ signature (https, or CODE_RULES_ACCEPT_UNSIGNED)',
    registers: [m.registry],
  });
  return () => counter.inc();
}
