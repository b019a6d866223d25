/**
 * Where the user goes after the cashier reaches a result: seed step 7, contract §5.
 *
 * Seed rules and our reading of the optional ones:
 *   R1 success with paymentRedirectUrl -> redirect to the merchant page ("must").
 *   R2 failure or cancel -> our result page. The seed allows a redirect here ("Optional") but also
 *      requires a result page showing the failure; we show the result page (our choice).
 *   R3 no paymentRedirectUrl -> no redirect: our result page.
 *   R4 scan-to-pay and a merchant APP link (a non-http(s) scheme) -> never the merchant app:
 *      redirect to the MPP home page.
 *   R5 merchant WAP page (http/https) -> redirect on Android; on iOS show our result page
 *      (system restriction named by the seed). Any other platform is redirected: the iOS case is
 *      the only exception the seed names, and success "must" redirect.
 *   R6 outside scan-to-pay, an app link (custom scheme) is followed on every platform ("the MPP
 *      must support the redirection to the merchant App by using scheme, or UL/AL"). Universal
 *      and App Links are https URLs and therefore follow R5.
 *   R7 only http(s) and app schemes: `javascript:`, `data:` and other browser-internal schemes,
 *      an unparseable or over-long URL -> our result page (never followed, never echoed).
 */

export type PaymentOutcome = 'SUCCESS' | 'FAILED' | 'CANCELLED';
export type UserAgentPlatform = 'ANDROID' | 'IOS' | 'OTHER';

/**
 * Scan-to-pay (our definition): the user is paying in store, i.e. `paymentFactor.isInStorePayment`
 * is true (merchant-presented OrderCode / EntryCode, and PaymentCode too). The user arrived by
 * scanning with our app, not from a merchant app, so there is no merchant app to go back to.
 */
export type RedirectScenario = { isScanToPay: boolean };

export type RedirectInput = {
  outcome: PaymentOutcome;
  paymentRedirectUrl?: string | undefined;
  scenario: RedirectScenario;
  userAgentPlatform: UserAgentPlatform;
  mppHomeUrl: string;
};

/** Which rule decided: for logs and tests. */
export type RedirectRule =
  | 'SUCCESS_TO_MERCHANT_PAGE'
  | 'SUCCESS_TO_MERCHANT_APP'
  | 'NOT_SUCCESS'
  | 'NO_REDIRECT_URL'
  | 'SCAN_TO_PAY_APP_LINK'
  | 'IOS_WAP_PAGE'
  | 'UNSAFE_URL';

export type RedirectDecision =
  | { readonly kind: 'REDIRECT'; readonly url: string; readonly rule: RedirectRule }
  | { readonly kind: 'RESULT_PAGE'; readonly rule: RedirectRule };

/** Alipay+ bounds paymentRedirectUrl at 2048 characters; anything longer is not followed. */
export const MAX_REDIRECT_URL_LENGTH = 2048;

/** R7: schemes that run code or read local data in a browser or webview. Compared lower-case. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'filesystem:',
  'view-source:',
  'content:', // Android content provider
  'intent:', // Android intent URL: can start arbitrary components; merchants use plain schemes
]);

type MerchantTarget = { kind: 'WAP_PAGE' | 'APP_LINK'; url: string } | { kind: 'UNSAFE' };

/** R7: classify the merchant URL, normalised by the WHATWG parser. */
function classifyMerchantUrl(raw: string): MerchantTarget {
  if (raw.length > MAX_REDIRECT_URL_LENGTH) return { kind: 'UNSAFE' };
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { kind: 'UNSAFE' };
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return { kind: 'WAP_PAGE', url: parsed.href };
  if (FORBIDDEN_SCHEMES.has(parsed.protocol)) return { kind: 'UNSAFE' };
  return { kind: 'APP_LINK', url: parsed.href };
}

const resultPage = (rule: RedirectRule): RedirectDecision => ({ kind: 'RESULT_PAGE', rule });
const redirect = (url: string, rule: RedirectRule): RedirectDecision => ({ kind: 'REDIRECT', url, rule });

/** Seed step 7: one decision from the outcome, the merchant URL, the scenario and the platform. */
export function decideRedirect(input: RedirectInput): RedirectDecision {
  if (input.outcome !== 'SUCCESS') return resultPage('NOT_SUCCESS'); // R2
  const raw = input.paymentRedirectUrl?.trim() ?? '';
  if (raw === '') return resultPage('NO_REDIRECT_URL'); // R3
  const target = classifyMerchantUrl(raw);
  if (target.kind === 'UNSAFE') return resultPage('UNSAFE_URL'); // R7
  if (target.kind === 'APP_LINK') {
    // R4: scan-to-pay never goes back to the merchant app; R6 otherwise
    return input.scenario.isScanToPay ? redirect(input.mppHomeUrl, 'SCAN_TO_PAY_APP_LINK') : redirect(target.url, 'SUCCESS_TO_MERCHANT_APP');
  }
  // R5: WAP page: not on iOS
  if (input.userAgentPlatform === 'IOS') return resultPage('IOS_WAP_PAGE');
  return redirect(target.url, 'SUCCESS_TO_MERCHANT_PAGE'); // R1
}

/** Our definition of scan-to-pay from the pay request's paymentFactor (see RedirectScenario). */
export function isScanToPay(paymentFactor: { isInStorePayment: boolean }): boolean {
  return paymentFactor.isInStorePayment;
}

/**
 * The platform from a User-Agent header. iOS tokens are checked first: a UA naming both (old
 * Windows Phone) gets the more cautious iOS rule. iPadOS in desktop mode says "Macintosh" and
 * cannot be told from a Mac: it is OTHER.
 */
export function platformFromUserAgent(userAgent: string | undefined): UserAgentPlatform {
  if (userAgent === undefined) return 'OTHER';
  if (/\b(iPhone|iPad|iPod)\b/i.test(userAgent)) return 'IOS';
  if (/\bAndroid\b/i.test(userAgent)) return 'ANDROID';
  return 'OTHER';
}
