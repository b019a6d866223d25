/** Alipay+ -> MPP (§1-§5), under /alipayplus/v1: the signed envelope, then its routes. */
import type { FastifyInstance } from 'fastify';
import type { AudienceOptions } from '../audience.ts';
import { authorizationRoutes } from './authorizations.ts';
import { cancelRefundRoutes } from './cancel-refund.ts';
import { installEnvelope } from './envelope.ts';
import { paymentRoutes } from './payments.ts';
import { installRateLimit } from '../rate-limit.ts';
import { outboundUrlPolicies } from '../../wiring.ts';

export async function alipayPlusAudience(app: FastifyInstance, o: AudienceOptions): Promise<void> {
  const { config, secrets, kv, clock, services } = o;
  installEnvelope(app, {
    clientId: config.alipayPlusClientId,
    pspId: config.pspId,
    mppPrivateKey: secrets.mppPrivateKey,
    mppKeyVersion: config.mppKeyVersion,
    alipayPlusPublicKeys: secrets.alipayPlusPublicKeys,
    maxSkewSeconds: config.signatureMaxSkewSeconds,
    bodyLimitBytes: config.bodyLimitBytes,
    now: () => clock.now(),
    refusals: { kv, signedPerWindow: config.alipayPlusSignedRefusalsPerMinute, windowMs: 60_000 },
  });
  // Per peer, after the envelope's Client-Id check: a caller that is not Alipay+ is already refused
  // unsigned there, which costs less than counting it in Redis would (issue 16).
  installRateLimit(app, { limit: config.rateLimitAlipayPlusPerMinute, windowMs: 60_000, scope: 'alipayplus' });
  await app.register(paymentRoutes, { pay: services.pay, syncPay: services.syncPay, reads: services.paymentReads, notifyUrlPolicy: outboundUrlPolicies(config).notify });
  await app.register(cancelRefundRoutes, { cancel: services.cancelPayment, refund: services.refund });
  await app.register(authorizationRoutes, { tokens: services.tokens, acquirerId: config.alipayPlusAcquirerId });
}
