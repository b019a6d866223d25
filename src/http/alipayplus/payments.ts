/** Alipay+ -> MPP payment routes (§4 pay, §5 inquiryPayment). A route parses, calls one use case, maps the result. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { result } from '../../domain/errors.ts';
import type { PaymentReads } from '../../domain/payments/inquiry.ts';
import type { PayAnswer, PayUseCase } from '../../domain/payments/pay.ts';
import { payScenarioOf, type SyncPayUseCase } from '../../domain/payments/sync-pay.ts';
import type { Payment } from '../../domain/payments/payment.ts';
import { parseWire } from '../validation.ts';
import { assertNotifyUrl, type OutboundUrlPolicy } from '../../domain/outbound-url.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { payBody } from './pay-wire.ts';
import { acquirerId, idField, pspId, toWireAmount, withoutNulls } from '../../alipayplus/wire-schemas.ts';

const inquiryBody = z.object({ pspId, acquirerId, paymentRequestId: idField(64) });

export interface PaymentRoutesDeps {
  readonly pay: PayUseCase;
  /** §9 PaymentCode and §10 agreement pays (payScenarioOf): answered S/F/U at once. */
  readonly syncPay: SyncPayUseCase;
  readonly reads: PaymentReads;
  /** Issue 16: what a paymentNotifyUrl must be (https, allowed host, not internal). Absent: no check. */
  readonly notifyUrlPolicy?: OutboundUrlPolicy;
}

/** The order's fields every answer about an existing payment carries. */
function orderFields(p: Payment) {
  return {
    paymentId: p.paymentId,
    ...(p.paymentTime ? { paymentTime: isoWithOffset(p.paymentTime) } : {}),
    paymentAmount: toWireAmount(p.paymentAmount),
    payToAmount: toWireAmount(p.payToAmount),
    customerId: p.customerId,
  };
}

/** §4 pay response: result, paymentId, paymentUrl (open order), customerId, amounts, passThroughInfo. */
export function payResponse(a: PayAnswer): Record<string, unknown> {
  if (a.kind === 'REFUSED') return { result: a.result };
  const passThroughInfo = a.payment.request.passThroughInfo;
  return {
    result: a.result,
    ...orderFields(a.payment),
    ...(a.kind === 'ACCEPTED' ? { paymentUrl: a.paymentUrl } : {}),
    ...(passThroughInfo !== undefined ? { passThroughInfo } : {}),
  };
}

export async function paymentRoutes(app: FastifyInstance, deps: PaymentRoutesDeps): Promise<void> {
  app.post('/payments/pay', async (req) => {
    const body = parseWire(payBody, withoutNulls(req.body));
    assertNotifyUrl(body.paymentNotifyUrl, deps.notifyUrlPolicy);
    const answer = payScenarioOf(body) === 'CASHIER' ? await deps.pay.pay(body) : await deps.syncPay.pay(body);
    const { paymentRequestId } = body;
    if (answer.kind === 'REFUSED') req.log.info({ paymentRequestId, resultCode: answer.result.resultCode }, 'pay refused');
    else req.log.info({ paymentRequestId, paymentId: answer.payment.paymentId, status: answer.payment.status, resultCode: answer.result.resultCode }, 'pay answered');
    return payResponse(answer);
  });

  app.post('/payments/inquiryPayment', async (req) => {
    const body = parseWire(inquiryBody, withoutNulls(req.body));
    const { payment, paymentResult } = await deps.reads.inquiryPayment(body.pspId, body.paymentRequestId);
    if (!payment) return { result: result('SUCCESS'), paymentResult };
    const promo = payment.request.paymentPromoInfo;
    return {
      result: result('SUCCESS'),
      paymentResult,
      ...orderFields(payment),
      ...(promo ? { paymentPromoInfo: promo } : {}),
    };
  });
}
