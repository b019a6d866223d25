/** The browser -> MPP, under /cashier: the page at paymentUrl (HTML, its own error pages and headers). */
import type { FastifyInstance } from 'fastify';
import type { AudienceOptions } from '../audience.ts';
import { cashierCsrfKey, cashierRoutes } from './routes.ts';

export async function cashierAudience(app: FastifyInstance, o: AudienceOptions): Promise<void> {
  const { config, secrets, clock, services } = o;
  await app.register(cashierRoutes, {
    cashier: services.cashier,
    clock,
    csrfKey: cashierCsrfKey(secrets),
    mppHomeUrl: config.mppHomeUrl,
    publicBaseUrl: config.publicBaseUrl,
    appJwtSecret: secrets.appJwtSecret,
    sessionSeconds: config.cashierSessionSeconds,
    rateLimit: { limit: config.rateLimitPublicPerMinute, windowMs: 60_000, scope: 'cashier' },
  });
}
