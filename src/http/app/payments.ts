/**
 * App: `GET /app/v1/payments/{paymentId}` -> the logged-in customer's payment; 404 for anyone else's.
 * `GET /app/v1/payments?limit=N&cursor=C` -> that customer's payments, newest first (limit 1-100, default 20).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { result, type Result } from '../../domain/errors.ts';
import type { PaymentReads } from '../../domain/payments/inquiry.ts';
import type { Payment } from '../../domain/payments/payment.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { toWireAmount } from '../../alipayplus/wire-schemas.ts';
import { parseWire } from '../validation.ts';

const params = z.object({ paymentId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, 1 to 64') });

/** What the app shows of a payment: amounts, merchant, status and result, times. */
export function appPaymentView(p: Payment, paymentResult: Result) {
  const { order } = p.request;
  return {
    paymentId: p.paymentId,
    paymentRequestId: p.paymentRequestId,
    status: p.status,
    paymentResult,
    paymentAmount: toWireAmount(p.paymentAmount),
    payToAmount: toWireAmount(p.payToAmount),
    ...(p.surchargeAmount ? { surchargeAmount: toWireAmount(p.surchargeAmount) } : {}),
    debitAmount: toWireAmount(p.debitAmount),
    ...(p.quote ? { paymentQuote: p.quote } : {}),
    order: {
      referenceOrderId: order.referenceOrderId,
      orderDescription: order.orderDescription,
      orderAmount: order.orderAmount,
      merchantName: order.merchant.merchantDisplayName ?? order.merchant.merchantName,
      storeName: order.merchant.store.storeName,
    },
    ...(p.request.paymentPromoInfo ? { paymentPromoInfo: p.request.paymentPromoInfo } : {}),
    createdAt: isoWithOffset(p.createdAt),
    paymentExpiryTime: isoWithOffset(p.expiresAt),
    ...(p.paymentTime ? { paymentTime: isoWithOffset(p.paymentTime) } : {}),
  };
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(256).optional(),
});

export async function appPaymentRoutes(app: FastifyInstance, deps: { reads: PaymentReads }): Promise<void> {
  app.get('/payments', async (req) => {
    const { limit, cursor } = parseWire(listQuery, req.query ?? {});
    const page = await deps.reads.customerPayments(req.customerId!, limit, cursor);
    return {
      result: result('SUCCESS'),
      payments: page.items.map((i) => appPaymentView(i.payment, i.paymentResult)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  });

  app.get('/payments/:paymentId', async (req) => {
    const { paymentId } = parseWire(params, req.params);
    const { payment, paymentResult } = await deps.reads.customerPayment(req.customerId!, paymentId);
    return { result: result('SUCCESS'), payment: appPaymentView(payment, paymentResult) };
  });
}
