/**
 * §8 userInitiatedPay: the logged-in user scanned a merchant's order code (or came from a cashier
 * URL carrying one); our server asks Alipay+ for the order and runs our cashier on it. Alipay+ never
 * calls `pay` in this flow, so this use case stands beside pay and hands the order Alipay+ returns
 * to pay's own rules: the order becomes the §4 pay request it would have been (the user as
 * `paymentMethod.customerId`), and pay checks the customer, currencies, FX, limit and expiry, and
 * stores it PROCESSING under Alipay+'s `paymentRequestId` with pay's idempotency. The cashier,
 * notifyPayment, inquiryPayment, cancelPayment, refund and the expiry sweep then see an ordinary
 * payment.
 *
 *   1. identify the code (§6): anything but an Alipay+ code to DECODE is F INVALID_CODE, no call;
 *   2. call userInitiatedPay with {codeValue, customerId}; a timeout, a U, a network or HTTP
 *      failure is retried with the same codeValue (Alipay+ is idempotent on it) while another try
 *      still fits in the time the app waits; an F reaches the app with Alipay+'s own code;
 *   3. pay(order): a new order, or the replay of the one stored under that paymentRequestId. Two
 *      initiates of one code (a double tap, two instances) get the same order from Alipay+, so
 *      pay's one-statement claim makes them one payment.
 *   4. the app gets the payment and either our cashier link or, with actionForm.actionType
 *      HANDLE_BY_SDK, the sdkActionPayload for the client SDK.
 */
import type { CodeIdentification } from '../codes/lists.ts';
import { DependencyUnavailable, DomainError, ParamIllegal, type Result, type ResultStatus, result } from '../errors.ts';
import { assertNotifyUrl, type OutboundUrlPolicy } from '../outbound-url.ts';
import type { PayUseCase } from './pay.ts';
import type { Payment, PayRequest } from './payment.ts';

/** Codes Alipay+ accepts in userInitiatedPay (official page: codeValue at most 512 characters). */
export const MAX_ORDER_CODE_LENGTH = 512;

/** A result as Alipay+ answered it: its code may be one our catalog does not hold. */
export interface ForeignResult {
  readonly resultCode: string;
  readonly resultStatus: ResultStatus;
  readonly resultMessage: string;
}

/** The order in Alipay+'s userInitiatedPay answer (validated by the adapter), with the action for the app. */
export interface InitiatedOrder extends Omit<PayRequest, 'paymentMethod'> {
  readonly codeType?: string | undefined;
  readonly actionForm?: { readonly actionType: string; readonly sdkActionPayload?: string | undefined } | undefined;
}

export type UserInitiatedPayOutcome =
  /** S with a valid order. */
  | { readonly kind: 'ORDER'; readonly order: InitiatedOrder }
  /** A final F from Alipay+ (invalid or expired code, closed order, another customer, ...). */
  | { readonly kind: 'REFUSED'; readonly result: ForeignResult }
  /** Nothing known: timeout, U, network or HTTP failure. The same codeValue may be sent again. */
  | { readonly kind: 'RETRY'; readonly reason: string }
  /** An answer that cannot be believed or used (bad signature, malformed order): not retried. */
  | { readonly kind: 'BROKEN'; readonly reason: string }
  /** No Alipay+ to call (ALIPAYPLUS_BASE_URL unset). */
  | { readonly kind: 'NOT_CONFIGURED' };

/** The outbound call (src/adapters/user-initiated-pay.ts, through the one signed client). */
export interface UserInitiatedPayGateway {
  userInitiatedPay(request: { readonly codeValue: string; readonly customerId: string }): Promise<UserInitiatedPayOutcome>;
}

export interface InitiateSettings {
  /** Our pspId: an order for another MPP is not ours to store. */
  readonly pspId: string;
  /** Tries at most (the first included). */
  readonly userInitiatedPayAttempts: number;
  /** One try's timeout (the gateway applies it; here it decides whether another try still fits). */
  readonly userInitiatedPayTimeoutMs: number;
  /** What the app waits for an answer (HANDLER_TIMEOUT_MS): every try must end inside it. */
  readonly handlerTimeoutMs: number;
}

export interface InitiateDeps {
  readonly identify: (codeValue: string) => Promise<CodeIdentification>;
  readonly gateway: UserInitiatedPayGateway;
  readonly pay: PayUseCase;
  readonly settings: InitiateSettings;
  /** Issue 16: what the order's paymentNotifyUrl must be, as at pay (https, allowed host, not internal). Absent: no check. */
  readonly notifyUrlPolicy?: OutboundUrlPolicy;
  /** Monotonic milliseconds, for the time budget; default performance.now. */
  readonly elapsedMs?: () => number;
  /** Pause between tries; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export type InitiateAnswer =
  /** The order is open: pay it in our cashier (paymentUrl) or through the client SDK (sdkActionPayload). */
  | {
      readonly kind: 'STARTED';
      readonly result: Result;
      readonly payment: Payment;
      readonly paymentUrl?: string | undefined;
      readonly sdkActionPayload?: string | undefined;
    }
  /** The code's payment is final already (paid, cancelled or expired): its result. */
  | { readonly kind: 'FINAL'; readonly result: Result; readonly payment: Payment }
  /** Refused: by Alipay+ (its code) or by pay's rules (ours). */
  | { readonly kind: 'REFUSED'; readonly result: ForeignResult };

/** Room kept inside the app's wait for storing the order after the last try. */
const STORE_MARGIN_MS = 500;
const RETRY_PAUSE_MS = 50;

/** §6 says what the code is; only an Alipay+ code to DECODE is an order code. */
function notAnOrderCode(id: CodeIdentification): string | undefined {
  if (!id.isAcCode) return 'not an Alipay+ code';
  if (id.postCodeMatchActionType !== 'DECODE') return 'an Alipay+ entry code: open its page (redirectUrl), which presents an order code';
  return undefined;
}

export function initiatePaymentUseCase(deps: InitiateDeps) {
  const { settings } = deps;
  const elapsed = deps.elapsedMs ?? (() => performance.now());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  /** userInitiatedPay with the same codeValue until an answer counts or no further try fits. */
  async function askAlipayPlus(codeValue: string, customerId: string): Promise<InitiatedOrder | ForeignResult> {
    const started = elapsed();
    const budget = Math.max(settings.handlerTimeoutMs - STORE_MARGIN_MS, settings.userInitiatedPayTimeoutMs);
    let last = '';
    for (let attempt = 1; ; attempt++) {
      const outcome = await deps.gateway.userInitiatedPay({ codeValue, customerId });
      switch (outcome.kind) {
        case 'ORDER':
          return outcome.order;
        case 'REFUSED':
          return outcome.result;
        case 'NOT_CONFIGURED':
          throw new DependencyUnavailable('Alipay+ (ALIPAYPLUS_BASE_URL is not set)');
        case 'BROKEN':
          throw new DomainError('UNKNOWN_EXCEPTION', `Alipay+ answer not usable (${outcome.reason}); retry later`);
        case 'RETRY':
          last = outcome.reason;
      }
      const fits = elapsed() - started + RETRY_PAUSE_MS + settings.userInitiatedPayTimeoutMs <= budget;
      if (attempt >= settings.userInitiatedPayAttempts || !fits) {
        throw new DomainError('UNKNOWN_EXCEPTION', `Alipay+ did not answer (${last}) after ${attempt} tries; retry with the same code`);
      }
      await sleep(RETRY_PAUSE_MS);
    }
  }

  return {
    /**
     * @throws InvalidCodeValue (F PARAM_ILLEGAL) for a blank or oversized code; DomainError
     * U UNKNOWN_EXCEPTION when Alipay+'s answer is unknown (the app may send the same code again).
     */
    async initiate(customerId: string, codeValue: string): Promise<InitiateAnswer> {
      if (codeValue.length > MAX_ORDER_CODE_LENGTH) throw new ParamIllegal('codeValue', `at most ${MAX_ORDER_CODE_LENGTH} characters for an order code`);
      const identified = await deps.identify(codeValue);
      const notOrder = notAnOrderCode(identified);
      if (notOrder) return { kind: 'REFUSED', result: result('INVALID_CODE', `Not an Alipay+ order code: ${notOrder}`) };

      const answered = await askAlipayPlus(codeValue, customerId);
      if ('resultCode' in answered) return { kind: 'REFUSED', result: answered };
      const { actionForm, codeType: _codeType, ...order } = answered;
      if (order.pspId !== settings.pspId) throw new DomainError('UNKNOWN_EXCEPTION', 'Alipay+ answered with an order for another pspId');

      const request: PayRequest = { ...order, paymentMethod: { paymentMethodType: 'CONNECT_WALLET', paymentMethodId: customerId, customerId } };
      let paid: Awaited<ReturnType<PayUseCase['pay']>>;
      try {
        assertNotifyUrl(request.paymentNotifyUrl, deps.notifyUrlPolicy);
        paid = await deps.pay.pay(request);
      } catch (err) {
        // pay's checks on the request alone (and its notify URL's): here they judge Alipay+'s order, not the app's input.
        if (err instanceof DomainError && err.code === 'PARAM_ILLEGAL') {
          return { kind: 'REFUSED', result: result('PARAM_ILLEGAL', `Alipay+'s order is inconsistent: ${err.message}`) };
        }
        throw err;
      }
      if (paid.kind === 'REFUSED') return { kind: 'REFUSED', result: paid.result };
      if (paid.kind === 'FINAL') return paid;
      const sdk = actionForm?.actionType === 'HANDLE_BY_SDK';
      return {
        kind: 'STARTED',
        result: result('SUCCESS'),
        payment: paid.payment,
        ...(sdk ? { sdkActionPayload: actionForm.sdkActionPayload } : { paymentUrl: paid.paymentUrl }),
      };
    },
  };
}

export type InitiatePaymentUseCase = ReturnType<typeof initiatePaymentUseCase>;
