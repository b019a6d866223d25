/** GET /healthz (the process answers) and GET /readyz (every dependency check passes, else 503). */
import type { FastifyInstance } from 'fastify';
import { type RateLimitOptions, rateLimitHook } from './rate-limit.ts';

export type ReadinessChecks = Readonly<Record<string, () => Promise<void>>>;

export interface HealthDeps {
  readonly checks: ReadinessChecks;
  /** Per peer on /readyz (it touches the database and Redis; issue 16). */
  readonly readyzLimit?: RateLimitOptions;
}

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  const onRequest = deps.readyzLimit ? rateLimitHook(app, deps.readyzLimit) : async () => undefined;
  app.get('/readyz', { logLevel: 'warn', onRequest }, async (_req, reply) => {
    const status: Record<string, string> = {};
    await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          await check();
          status[name] = 'ok';
        } catch (err) {
          status[name] = err instanceof Error ? err.message.slice(0, 200) : 'failed';
        }
      }),
    );
    const ready = Object.values(status).every((s) => s === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: status });
  });
}
