/**
 * App -> MPP §9: `POST /app/v1/paymentCodes {region?, codeQuantity?, env?}` -> `{result,
 * paymentCodes: [{codeValue, expiryTime}]}` for the logged-in customer, from Alipay+'s
 * getPaymentCode. Alipay+ unreachable or unproven: 503 U UNKNOWN_EXCEPTION (the app retries);
 * Alipay+ refusing: 403 F ACCESS_DENIED naming its code.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { result } from '../../domain/errors.ts';
import type { PaymentCodeUseCase } from '../../domain/payments/payment-codes.ts';
import { parseWire } from '../validation.ts';

const envField = z.string().min(1).max(256);
export const paymentCodesRequest = z.object({
  region: z
    .string()
    .regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2')
    .optional(),
  codeQuantity: z.number().int().min(1).max(10).optional(),
  env: z
    .object({
      terminalType: envField.optional(),
      osType: envField.optional(),
      osVersion: envField.optional(),
      deviceTokenId: envField.optional(),
      clientIp: envField.optional(),
      userAgent: z.string().min(1).max(1024).optional(),
    })
    .optional(),
});

export async function paymentCodeRoutes(app: FastifyInstance, deps: { readonly paymentCodes: PaymentCodeUseCase }): Promise<void> {
  app.post('/paymentCodes', async (req) => {
    const body = parseWire(paymentCodesRequest, req.body ?? {});
    const codes = await deps.paymentCodes.issue({ customerId: req.customerId!, ...body });
    // Never the code values in logs: a code is a bearer instrument for about a minute.
    req.log.info({ customerId: req.customerId, count: codes.length }, 'payment codes issued');
    return { result: result('SUCCESS'), paymentCodes: codes.map((c) => ({ codeValue: c.codeValue, expiryTime: isoWithOffset(c.expiresAt) })) };
  });
}
