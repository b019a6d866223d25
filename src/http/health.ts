/** GET /healthz (the process answers) and GET /readyz (every dependency check passes, else 503). */
import type { FastifyInstance } from 'fastify';

export type ReadinessChecks = Readonly<Record<string, () => Promise<void>>>;

export async function healthRoutes(app: FastifyInstance, deps: { readonly checks: ReadinessChecks }): Promise<void> {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
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
