/**
 * App: `POST /app/v1/payments/initiate {codeValue}` (contract §8): the logged-in user scanned an
 * order code; answers `{result, paymentId, paymentRequestId, paymentAmount, payToAmount,
 * surchargeAmount?, paymentExpiryTime, order: {merchantName, orderDescription}, paymentUrl?,
 * sdkActionPayload?}`.
 *
 * HTTP status: 200 for an open order (S SUCCESS) and for a code whose payment is already final
 * (its result, S or F); a refusal is `{result}` with the status of its result (F INVALID_CODE for
 * a code that is not an Alipay+ order code, Alipay+'s own F code as it answered); U
 * UNKNOWN_EXCEPTION (503) when Alipay+'s answer is unknown: sending the same code again is safe.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { toWireAmount } from '../../alipayplus/wire-schemas.ts';
import type { InitiateAnswer, InitiatePaymentUseCase } from '../../domain/payments/initiate.ts';
import { httpStatusFor } from '../result-mapper.ts';
import { parseWire } from '../validation.ts';

// Blankness and length are the use case's rules (§6 and the 512 of userInitiatedPay).
const initiateBody = z.object({ codeValue: z.string() });

function initiateResponse(a: InitiateAnswer): Record<string, unknown> {
  if (a.kind === 'REFUSED') return { result: a.result };
  const p = a.payment;
  const { order } = p.request;
  return {
    result: a.result,
    paymentId: p.paymentId,
    paymentRequestId: p.paymentRequestId,
    paymentAmount: toWireAmount(p.paymentAmount),
    payToAmount: toWireAmount(p.payToAmount),
    ...(p.surchargeAmount ? { surchargeAmount: toWireAmount(p.surchargeAmount) } : {}),
    paymentExpiryTime: isoWithOffset(p.expiresAt),
    order: { merchantName: order.merchant.merchantDisplayName ?? order.merchant.merchantName, orderDescription: order.orderDescription },
    ...(a.kind === 'STARTED' && a.paymentUrl ? { paymentUrl: a.paymentUrl } : {}),
    ...(a.kind === 'STARTED' && a.sdkActionPayload ? { sdkActionPayload: a.sdkActionPayload } : {}),
  };
}

export async function initiateRoutes(app: FastifyInstance, deps: { readonly initiate: InitiatePaymentUseCase }): Promise<void> {
  app.post('/payments/initiate', async (req, reply) => {
    const { codeValue } = parseWire(initiateBody, req.body);
    const answer = await deps.initiate.initiate(req.customerId!, codeValue);
    // Never the code value in logs (it is a bearer of the order): what became of it.
    if (answer.kind === 'REFUSED') req.log.info({ resultCode: answer.result.resultCode }, 'initiate refused');
    else req.log.info({ paymentRequestId: answer.payment.paymentRequestId, paymentId: answer.payment.paymentId, kind: answer.kind }, 'initiate answered');
    return reply.code(answer.kind === 'REFUSED' ? httpStatusFor(answer.result) : 200).send(initiateResponse(answer));
  });
}
