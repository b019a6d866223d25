/** Alipay+ -> MPP payment routes. A route parses, calls one use case, maps the result. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { result } from '../../domain/errors.ts';
import { inquiryPayment } from '../../domain/payments/inquiry.ts';
import type { PaymentQueries } from '../../domain/payments/ports.ts';
import { parseWire } from '../validation.ts';
import { isoWithOffset } from './envelope.ts';
import { acquirerId, idField, pspId, toWireAmount } from './wire.ts';

const inquiryBody = z.object({ pspId, acquirerId, paymentRequestId: idField(64) });

export interface PaymentRoutesDeps {
  readonly payments: PaymentQueries;
}

export async function paymentRoutes(app: FastifyInstance, deps: PaymentRoutesDeps): Promise<void> {
  app.post('/payments/inquiryPayment', async (req) => {
    const body = parseWire(inquiryBody, req.body);
    const { payment, paymentResult } = await inquiryPayment(deps.payments, body.pspId, body.paymentRequestId);
    const promo = payment.request.paymentPromoInfo;
    return {
      result: result('SUCCESS'),
      paymentResult,
      paymentId: payment.paymentId,
      ...(payment.paymentTime ? { paymentTime: isoWithOffset(payment.paymentTime) } : {}),
      paymentAmount: toWireAmount(payment.paymentAmount),
      payToAmount: toWireAmount(payment.payToAmount),
      customerId: payment.customerId,
      ...(promo ? { paymentPromoInfo: promo } : {}),
    };
  });
}
