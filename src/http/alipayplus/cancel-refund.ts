/** Alipay+ -> MPP §5 cancelPayment and refund. A route parses, calls one use case, maps the result. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { result } from '../../domain/errors.ts';
import type { CancelPaymentUseCase } from '../../domain/payments/cancel.ts';
import type { RefundRequest, RefundUseCase } from '../../domain/refunds/refund.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { parseWire } from '../validation.ts';
import { acquirerId, idField, pspId, wireAmount, wireQuote, wireSurchargeInfo, withoutNulls } from '../../alipayplus/wire-schemas.ts';

const cancelBody = z.object({ pspId, acquirerId, paymentRequestId: idField(64) });

const refundBody = z.object({
  pspId,
  acquirerId,
  refundRequestId: idField(64),
  paymentRequestId: idField(64),
  paymentId: idField(64).optional(),
  refundAmount: wireAmount,
  refundFromAmount: wireAmount,
  refundQuote: wireQuote.optional(),
  // Carried through, not interpreted (our choice): bounded like the pay request's promo info.
  refundPromoInfo: z.record(z.string(), z.unknown()).optional(),
  refundReason: z.string().min(1).max(256).optional(),
  surchargeInfo: wireSurchargeInfo.optional(),
}) satisfies z.ZodType<RefundRequest>;

export async function cancelRefundRoutes(app: FastifyInstance, deps: { cancel: CancelPaymentUseCase; refund: RefundUseCase }): Promise<void> {
  app.post('/payments/cancelPayment', async (req) => {
    const body = parseWire(cancelBody, withoutNulls(req.body));
    const answer = await deps.cancel.cancelPayment(body.pspId, body.paymentRequestId);
    req.log.info(
      { paymentRequestId: body.paymentRequestId, paymentId: answer.payment?.paymentId, status: answer.payment?.status },
      answer.cancelTime ? 'payment cancelled' : 'cancelPayment: nothing to change',
    );
    return { result: result('SUCCESS'), ...(answer.cancelTime ? { cancelTime: isoWithOffset(answer.cancelTime) } : {}) };
  });

  app.post('/payments/refund', async (req) => {
    const body = parseWire(refundBody, withoutNulls(req.body));
    const answer = await deps.refund.refund(body);
    req.log.info({ paymentRequestId: body.paymentRequestId, refundRequestId: body.refundRequestId, refundId: answer.refundId }, 'refund answered');
    return { result: result('SUCCESS'), refundId: answer.refundId, refundTime: isoWithOffset(answer.refundTime) };
  });
}
