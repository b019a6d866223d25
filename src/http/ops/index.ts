/** Operators -> MPP, under /ops/v1: a per-address rate limit, the ops token, then its routes. */
import type { FastifyInstance } from 'fastify';
import type { AudienceOptions } from '../audience.ts';
import { installHostileInputGuard } from '../hostile-input.ts';
import { installRateLimit } from '../rate-limit.ts';
import { requireOpsToken } from './auth.ts';
import { codeListRoutes } from './code-lists.ts';
import { customerRoutes } from './customers.ts';
import { walletRoutes } from './wallet.ts';

export async function opsAudience(app: FastifyInstance, o: AudienceOptions): Promise<void> {
  const { config, secrets, services } = o;
  // Limit first: every attempt counts per address, wrong tokens included (token guessing).
  installRateLimit(app, { limit: config.rateLimitOpsPerMinute, windowMs: 60_000, scope: 'ops' });
  requireOpsToken(app, secrets.opsApiTokens);
  installHostileInputGuard(app);
  await app.register(customerRoutes, { customers: services.customers, balanceOf: services.wallet.balanceOf, topUpHistory: services.topUpHistory });
  await app.register(walletRoutes, { wallet: services.wallet });
  await app.register(codeListRoutes, { codeLists: services.codeLists });
}
