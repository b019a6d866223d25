/**
 * The domain's Alipay+ gateways over THE signed client (src/alipayplus/client.ts): §9
 * getPaymentCode and §10 consultUnbinding / authNotify. Only a signed answer counts; anything
 * else is "unknown" to the caller (DependencyUnavailable, or an outcome the outbox retries).
 */
import { type AlipayPlusCallResult, type AlipayPlusClient, AUTH_NOTIFY_PATH, CONSULT_UNBINDING_PATH, GET_PAYMENT_CODE_PATH } from '../alipayplus/client.ts';
import { parseIsoInstant } from '../alipayplus/wire-time.ts';
import type { AgreementGateway, UnbindingCallOutcome } from '../domain/agreements/unbinding.ts';
import { DependencyUnavailable, DomainError } from '../domain/errors.ts';
import type { PaymentCode, PaymentCodeGateway } from '../domain/payments/payment-codes.ts';

/** What went wrong with a call that gave no usable answer, for logs and the outbox's last_error. */
export function callProblem(r: AlipayPlusCallResult): string {
  switch (r.kind) {
    case 'answered':
      return `answered ${r.result.resultStatus} ${r.result.resultCode}`;
    case 'bad-signature':
      return `answer not signed by Alipay+: ${r.reason}`;
    case 'malformed-answer':
      return `malformed answer: ${r.reason}`;
    case 'http-error':
      return `HTTP ${r.status}`;
    case 'network-error':
      return `network: ${r.error.message}`;
    case 'timeout':
      return 'timed out';
    case 'not-configured':
      return 'ALIPAYPLUS_BASE_URL is not configured';
    case 'refused-url':
      return `not sent: ${r.reason}`;
  }
}

/** The codes of a getPaymentCode answer (`paymentCodeInfoList[]`); an entry without a code or a valid expiry is dropped. */
function codesOf(body: Readonly<Record<string, unknown>>): PaymentCode[] {
  const list = Array.isArray(body.paymentCodeInfoList) ? body.paymentCodeInfoList : [];
  const codes: PaymentCode[] = [];
  for (const item of list.slice(0, 10)) {
    const e = (item ?? {}) as Record<string, unknown>;
    const expiresAt = typeof e.codeExpiryTime === 'string' ? parseIsoInstant(e.codeExpiryTime) : undefined;
    if (typeof e.paymentCode === 'string' && e.paymentCode.length > 0 && e.paymentCode.length <= 512 && expiresAt) codes.push({ codeValue: e.paymentCode, expiresAt });
  }
  return codes;
}

export function paymentCodeGateway(client: Pick<AlipayPlusClient, 'call'>): PaymentCodeGateway {
  return {
    async getPaymentCode(r) {
      const body = {
        customerId: r.customerId,
        ...(r.region !== undefined ? { region: r.region } : {}),
        ...(r.codeQuantity !== undefined ? { codeQuantity: String(r.codeQuantity) } : {}),
        // env is REQUIRED by Alipay+: the app's device information, at least the terminal type.
        env: { terminalType: 'APP', ...r.env },
      };
      const answer = await client.call(GET_PAYMENT_CODE_PATH, body);
      if (answer.kind !== 'answered' || answer.result.resultStatus === 'U') throw new DependencyUnavailable('Alipay+ getPaymentCode', callProblem(answer));
      // Alipay+ refused (its code is not in our catalog): the app sees why, as an F.
      if (answer.result.resultStatus === 'F') throw new DomainError('ACCESS_DENIED', `Alipay+ refused getPaymentCode: ${answer.result.resultCode}`);
      const codes = codesOf(answer.body);
      if (codes.length === 0) throw new DependencyUnavailable('Alipay+ getPaymentCode', 'no payment code in the answer');
      return codes;
    },
  };
}

function outcomeOf(r: AlipayPlusCallResult): UnbindingCallOutcome {
  if (r.kind !== 'answered') return { kind: 'unknown', problem: callProblem(r) };
  if (r.result.resultStatus === 'S') return { kind: 'success', allowUnbinding: r.body.allowUnbinding !== 'false' && r.body.allowUnbinding !== false };
  if (r.result.resultStatus === 'F') return { kind: 'refused', problem: callProblem(r) };
  return { kind: 'unknown', problem: callProblem(r) };
}

export function agreementGateway(client: Pick<AlipayPlusClient, 'call'>): AgreementGateway {
  return {
    async consultUnbinding(a) {
      return outcomeOf(
        await client.call(CONSULT_UNBINDING_PATH, { authClientId: a.authClientId, referenceMerchantId: a.referenceMerchantId, accessToken: a.accessToken }),
      );
    },
    async notifyTokenCanceled(a) {
      return outcomeOf(
        await client.call(AUTH_NOTIFY_PATH, {
          authorizationNotifyType: 'TOKEN_CANCELED',
          authClientId: a.authClientId,
          referenceMerchantId: a.referenceMerchantId,
          accessToken: a.accessToken,
          customerId: a.customerId,
        }),
      );
    },
  };
}
