/**
 * ============================================================================================
 *   ADD EACH NEW ALIPAY+ / APP ROUTE HERE: one entry, and the fuzz suites (test/fuzz/) drive it.
 * ============================================================================================
 *
 * An entry is the route's path, a sample body and the tables whose row counts must not change.
 * The sample must pass the route's validation yet name nothing that exists (no such payment,
 * customer, token or code), so the route refuses it with a business answer, never PARAM_ILLEGAL
 * (`sampleResultCode`, checked by a test): every mutation the fuzz makes is then a step away from
 * a body the validators accept, which is where bugs hide.
 *
 * Entries for routes this branch does not have yet are listed too; the suites fuzz the routes the
 * app actually has (`app.hasRoute`) and one test compares the absent ones with EXPECTED_ABSENT
 * below: when a route lands, that test fails until its name is taken out of the list (and its
 * entry checked), and another fails if the app has an /alipayplus or /app route with no entry.
 */
import { TEST_ACQUIRER_ID, TEST_PSP_ID } from '../support/harness.ts';
import { seedPayRequest } from '../../src/simulator/seed-sample.ts';

export interface AlipayPlusRouteEntry {
  readonly path: string;
  /** Passes validation, names nothing that exists: answered F `sampleResultCode`. */
  readonly sample: Record<string, unknown>;
  readonly sampleResultCode: string;
  /** Tables whose row counts must not change under any fuzzed request; 'all' (the default): every table. */
  readonly unchangedTables?: 'all' | readonly string[];
  /** Field paths the route does not type-check (free-form JSON it stores as is), left out of the wrong-type property. */
  readonly untypedFields?: readonly string[];
}

export interface AppRouteEntry {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** As registered with Fastify, `:name` for a path parameter. */
  readonly url: string;
  /** Values for the path parameters; each is fuzzed too. */
  readonly params?: Readonly<Record<string, string>>;
  /** POST body: passes validation; for a customer that does not exist, or names nothing that exists. */
  readonly sample?: Record<string, unknown>;
  /** The HTTP status of the sample (the fuzz customer does not exist). */
  readonly sampleStatus: number;
  readonly unchangedTables?: 'all' | readonly string[];
  readonly untypedFields?: readonly string[];
}

const ids = { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID };

/** Alipay+ -> MPP (§3, §4, §5), all under the signed envelope. */
export const ALIPAYPLUS_ROUTES: readonly AlipayPlusRouteEntry[] = [
  {
    path: '/alipayplus/v1/authorizations/applyToken',
    // §7 sample applyToken request; this auth code was never issued.
    sample: { ...ids, grantType: 'AUTHORIZATION_CODE', authCode: '663A8FA9D83648EE8AA11FF682989999', passThroughInfo: '{"from":"fuzz"}' },
    sampleResultCode: 'INVALID_CODE',
  },
  {
    path: '/alipayplus/v1/authorizations/cancelToken',
    sample: { ...ids, accessToken: 'F'.repeat(64) },
    sampleResultCode: 'INVALID_TOKEN',
  },
  {
    path: '/alipayplus/v1/users/inquiryUserInfo',
    sample: { ...ids, accessToken: 'E'.repeat(64) },
    sampleResultCode: 'INVALID_TOKEN',
  },
  {
    path: '/alipayplus/v1/payments/inquiryPayment',
    sample: { ...ids, paymentRequestId: 'fuzz-no-such-request' },
    sampleResultCode: 'ORDER_NOT_EXIST',
  },
  {
    // §5 cancelPayment of a payment that does not exist.
    path: '/alipayplus/v1/payments/cancelPayment',
    sample: { ...ids, paymentRequestId: 'fuzz-cancel-no-such-request' },
    sampleResultCode: 'ORDER_NOT_EXIST',
  },
  {
    // §5 refund of a payment that does not exist.
    path: '/alipayplus/v1/payments/refund',
    sample: {
      ...ids,
      refundRequestId: 'fuzz-refund-0001',
      paymentRequestId: 'fuzz-refund-no-such-request',
      refundAmount: { value: '100', currency: 'JPY' },
      refundFromAmount: { value: '1000', currency: 'KRW' },
    },
    sampleResultCode: 'ORDER_NOT_EXIST',
  },
  {
    // Fuzzed LAST: a well-formed pay with a new paymentRequestId records its F (§4), and
    // cancelPayment then rightly answers S for that id (§5: cancel succeeds whatever the state).
    // §4, the seed's step 5 sample (JPY 100 paid as KRW 1000 at JPY/KRW 10.0000), for a customer that does not exist.
    path: '/alipayplus/v1/payments/pay',
    // A well-formed request with a NEW paymentRequestId (fuzzed text is often a valid id) is not
    // hostile: its synchronous F USER_NOT_EXIST is recorded in pay_requests on purpose (§4, a
    // repeat gets the same F). Every other table must stay as it was: no order, no money moved.
    unchangedTables: [
      'payments',
      'payment_status_history',
      'customers',
      'ledger_accounts',
      'ledger_transfers',
      'ledger_entries',
      'notify_outbox',
      'refunds',
      'grants',
      'access_tokens',
      'auth_codes',
    ],
    sample: seedPayRequest({
      ...ids,
      paymentRequestId: 'fuzz-pay-no-such-customer',
      paymentMethodId: '281006050000000000125733DAHJ0001',
      customerId: 'fuzz-no-such-customer',
    }),
    sampleResultCode: 'USER_NOT_EXIST',
  },
];

/** App -> MPP (service-interface "App -> MPP"), behind the app JWT. */
export const APP_ROUTES: readonly AppRouteEntry[] = [
  {
    method: 'POST',
    url: '/app/v1/authCodes',
    sample: { scopes: ['BASE_USER_INFO'] },
    sampleStatus: 404, // USER_NOT_EXIST: the fuzz customer does not exist
  },
  {
    // §6: a code value that is no Alipay+ code: 200, isAcCode false.
    method: 'POST',
    url: '/app/v1/codes/identify',
    sample: { codeValue: 'https://example.com/not-an-alipayplus-code' },
    sampleStatus: 200,
  },
  {
    method: 'GET',
    url: '/app/v1/payments/:paymentId',
    params: { paymentId: 'fuzz-no-such-payment' },
    sampleStatus: 404,
  },
  {
    method: 'GET',
    url: '/app/v1/payments',
    sampleStatus: 200,
  },
  {
    // §9: the fuzz customer does not exist, so no getPaymentCode goes out.
    method: 'POST',
    url: '/app/v1/paymentCodes',
    sample: { region: 'JP', codeQuantity: 1, env: { terminalType: 'APP' } },
    sampleStatus: 404,
  },
  {
    method: 'GET',
    url: '/app/v1/agreements',
    sampleStatus: 200,
  },
  {
    method: 'DELETE',
    url: '/app/v1/agreements/:agreementId',
    params: { agreementId: 'fuzz-no-such-agreement' },
    sampleStatus: 404,
  },
];

/**
 * Entries whose route this branch does not have yet (pay, cancelPayment, refund, identify and the
 * payment view are built on other branches). Take a route out of this list when it lands.
 */
export const EXPECTED_ABSENT: readonly string[] = [];

export const routeName = (method: string, url: string) => `${method} ${url}`;
