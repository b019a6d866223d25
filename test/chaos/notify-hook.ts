/**
 * The §5 outbox hook for fault tests: every PROCESSING -> final change queues its notifyPayment
 * in the same transaction. The service's own wiring of app.ts `onPaymentFinal` lands with the
 * cashier (issue 5, second half); until then the fault tests pass this one in, so what they
 * prove (a final payment is notified whatever crashes) holds for the outbox and dispatcher.
 */
import type { PaymentFinalHook } from '../../src/persistence/payments-repository.ts';
import { queuePaymentNotification } from '../../src/domain/payments/notify.ts';
import { notifyOutboxRepository } from '../../src/persistence/notify-outbox-repository.ts';

export const queueNotifyOnFinal: PaymentFinalHook = async (trx, payments) => {
  const outbox = notifyOutboxRepository(trx);
  const at = new Date();
  for (const p of payments) {
    await queuePaymentNotification(
      outbox,
      {
        paymentId: p.paymentId,
        paymentRequestId: p.paymentRequestId,
        customerId: p.customerId,
        resultCode: p.resultCode,
        paymentAmount: p.paymentAmount,
        payToAmount: p.payToAmount,
        paymentTime: p.paymentTime,
        paymentPromoInfo: p.paymentPromoInfo,
      },
      { paymentNotifyUrl: p.paymentNotifyUrl, at },
    );
  }
};
