/** §8 initiate's retry rule with a fake gateway and a fake clock: tries stop when the next would not end inside the app's wait. */
import { describe, expect, it } from 'vitest';
import { initiatePaymentUseCase, type UserInitiatedPayOutcome } from '../../../src/domain/payments/initiate.ts';
import type { PayUseCase } from '../../../src/domain/payments/pay.ts';

const acCode = async () => ({ source: 'ALIPAYPLUS' as const, isAcCode: true, postCodeMatchActionType: 'DECODE' as const });
const neverPay = { pay: () => Promise.reject(new Error('pay must not be reached')) } as unknown as PayUseCase;

function useCase(o: { attempts: number; tryMs: number; handlerMs: number; outcomes: UserInitiatedPayOutcome[]; costMs: number }) {
  let now = 0;
  const sent: string[] = [];
  const uc = initiatePaymentUseCase({
    identify: acCode,
    gateway: {
      async userInitiatedPay(r) {
        sent.push(r.codeValue);
        now += o.costMs;
        return o.outcomes.shift() ?? { kind: 'RETRY', reason: 'timeout' };
      },
    },
    pay: neverPay,
    settings: { pspId: 'P', userInitiatedPayAttempts: o.attempts, userInitiatedPayTimeoutMs: o.tryMs, handlerTimeoutMs: o.handlerMs },
    elapsedMs: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return { uc, sent };
}

describe('initiate retries', () => {
  it('stops after the tries that fit in HANDLER_TIMEOUT_MS minus the room to store (4000 ms, 1200 ms tries: 2)', async () => {
    const { uc, sent } = useCase({ attempts: 10, tryMs: 1200, handlerMs: 4000, outcomes: [], costMs: 1200 });
    await expect(uc.initiate('C', 'CODE')).rejects.toMatchObject({ code: 'UNKNOWN_EXCEPTION' });
    expect(sent).toEqual(['CODE', 'CODE']);
  });

  it('stops at USER_INITIATED_PAY_ATTEMPTS when answers are quick', async () => {
    const { uc, sent } = useCase({ attempts: 3, tryMs: 1200, handlerMs: 60_000, outcomes: [], costMs: 5 });
    await expect(uc.initiate('C', 'CODE')).rejects.toMatchObject({ code: 'UNKNOWN_EXCEPTION' });
    expect(sent).toHaveLength(3);
  });

  it('returns an F from Alipay+ at once, with its code', async () => {
    const { uc, sent } = useCase({
      attempts: 3,
      tryMs: 100,
      handlerMs: 4000,
      outcomes: [{ kind: 'REFUSED', result: { resultCode: 'EXPIRED_CODE', resultStatus: 'F', resultMessage: 'expired' } }],
      costMs: 5,
    });
    expect(await uc.initiate('C', 'CODE')).toEqual({ kind: 'REFUSED', result: { resultCode: 'EXPIRED_CODE', resultStatus: 'F', resultMessage: 'expired' } });
    expect(sent).toHaveLength(1);
  });

  it('refuses an order for another pspId without storing it', async () => {
    const order = { pspId: 'OTHER' } as never;
    const { uc } = useCase({ attempts: 3, tryMs: 100, handlerMs: 4000, outcomes: [{ kind: 'ORDER', order }], costMs: 5 });
    await expect(uc.initiate('C', 'CODE')).rejects.toMatchObject({ code: 'UNKNOWN_EXCEPTION', message: expect.stringContaining('pspId') });
  });
});
