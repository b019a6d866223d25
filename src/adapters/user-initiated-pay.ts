/**
 * §8 userInitiatedPay through the one signed client (src/alipayplus/client.ts): the answer's
 * signature is verified there; here its `result` decides, and an S answer's order is checked with
 * pay's own wire schema (the order Alipay+ returns is the §4 pay request without paymentMethod),
 * plus the fields only this answer carries (codeType, actionForm). Absent and null are the same.
 */
import { z } from 'zod';
import { type AlipayPlusClient, USER_INITIATED_PAY_PATH } from '../alipayplus/client.ts';
import { withoutNulls } from '../alipayplus/wire-schemas.ts';
import type { InitiatedOrder, UserInitiatedPayGateway } from '../domain/payments/initiate.ts';
import { payBody } from '../http/alipayplus/pay-wire.ts';

const initiatedOrder = payBody.omit({ paymentMethod: true }).extend({
  codeType: z.string().min(1).max(64).optional(),
  actionForm: z
    .object({
      actionType: z.string().min(1).max(64),
      sdkActionPayload: z.string().min(1).max(20_000).optional(),
    })
    .optional(),
}) satisfies z.ZodType<InitiatedOrder>;

export function userInitiatedPayGateway(client: Pick<AlipayPlusClient, 'call'>): UserInitiatedPayGateway {
  return {
    async userInitiatedPay(request) {
      const r = await client.call(USER_INITIATED_PAY_PATH, request);
      switch (r.kind) {
        case 'answered': {
          if (r.result.resultStatus === 'U') return { kind: 'RETRY', reason: `U ${r.result.resultCode}` };
          if (r.result.resultStatus === 'F') return { kind: 'REFUSED', result: r.result };
          const parsed = initiatedOrder.safeParse(withoutNulls(r.body));
          if (parsed.success) return { kind: 'ORDER', order: parsed.data };
          const issue = parsed.error.issues[0];
          return { kind: 'BROKEN', reason: `order field ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
        }
        case 'timeout':
          return { kind: 'RETRY', reason: 'timeout' };
        case 'network-error':
          return { kind: 'RETRY', reason: `network: ${r.error.message}` };
        case 'http-error':
          return { kind: 'RETRY', reason: `HTTP ${r.status}` };
        case 'bad-signature':
          return { kind: 'BROKEN', reason: `signature: ${r.reason}` };
        case 'malformed-answer':
          return { kind: 'BROKEN', reason: r.reason };
        case 'not-configured':
          return { kind: 'NOT_CONFIGURED' };
        case 'refused-url':
          return { kind: 'BROKEN', reason: `not sent: ${r.reason}` };
      }
    },
  };
}
