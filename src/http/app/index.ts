/** The wallet app -> MPP, under /app/v1: the user's JWT, a per-customer rate limit, then its routes. */
import type { FastifyInstance } from 'fastify';
import type { AudienceOptions } from '../audience.ts';
import { installHostileInputGuard } from '../hostile-input.ts';
import { installRateLimit } from '../rate-limit.ts';
import { agreementRoutes } from './agreements.ts';
import { authCodeRoutes } from './auth-codes.ts';
import { requireAppUser } from './auth.ts';
import { codeRoutes } from './codes.ts';
import { initiateRoutes } from './initiate.ts';
import { paymentCodeRoutes } from './payment-codes.ts';
import { appPaymentRoutes } from './payments.ts';
import { outboundUrlPolicies } from '../../wiring.ts';

export async function appAudience(app: FastifyInstance, o: AudienceOptions): Promise<void> {
  const { config, secrets, clock, services } = o;
  requireAppUser(app, { secret: secrets.appJwtSecret, now: () => clock.now() });
  installRateLimit(app, {
    limit: config.rateLimitAppPerMinute,
    windowMs: 60_000,
    scope: 'app',
    clientOf: (req) => req.customerId ?? req.ip,
  });
  installHostileInputGuard(app);
  await app.register(authCodeRoutes, { tokens: services.tokens });
  await app.register(codeRoutes, { codes: services.codes, redirectUrlPolicy: outboundUrlPolicies(config).redirect });
  await app.register(appPaymentRoutes, { reads: services.paymentReads });
  await app.register(initiateRoutes, { initiate: services.initiatePayment });
  await app.register(paymentCodeRoutes, { paymentCodes: services.paymentCodes });
  await app.register(agreementRoutes, { agreements: services.agreements });
}
