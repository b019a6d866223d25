import { describe, expect, it } from 'vitest';
import {
  MAX_REDIRECT_URL_LENGTH,
  decideRedirect,
  isScanToPay,
  platformFromUserAgent,
  type PaymentOutcome,
  type RedirectDecision,
  type RedirectInput,
  type UserAgentPlatform,
} from '../../../src/domain/payments/redirect.ts';

const HOME = 'https://wallet.example/home';
const WAP = 'https://shop.example/result?order=42';
const APP = 'merchantapp://pay/result?order=42';

function input(overrides: Partial<RedirectInput>): RedirectInput {
  return {
    outcome: 'SUCCESS',
    paymentRedirectUrl: WAP,
    scenario: { isScanToPay: false },
    userAgentPlatform: 'ANDROID',
    mppHomeUrl: HOME,
    ...overrides,
  };
}

type Row = [scenario: string, outcome: PaymentOutcome, url: string | undefined, isScanToPay: boolean, platform: UserAgentPlatform, expected: RedirectDecision];

// Every rule of seed step 7 (§5), as numbered in redirect.ts.
const table: Row[] = [
  // R1: success with a merchant WAP page
  ['success on Android goes back to the merchant WAP page', 'SUCCESS', WAP, false, 'ANDROID', { kind: 'REDIRECT', url: WAP, rule: 'SUCCESS_TO_MERCHANT_PAGE' }],
  ['success on an unknown platform goes back to the merchant WAP page', 'SUCCESS', WAP, false, 'OTHER', { kind: 'REDIRECT', url: WAP, rule: 'SUCCESS_TO_MERCHANT_PAGE' }],
  ['success in scan-to-pay on Android still goes back to a WAP page', 'SUCCESS', WAP, true, 'ANDROID', { kind: 'REDIRECT', url: WAP, rule: 'SUCCESS_TO_MERCHANT_PAGE' }],
  [
    'success goes back to a plain http WAP page too',
    'SUCCESS',
    'http://shop.example/r',
    false,
    'ANDROID',
    { kind: 'REDIRECT', url: 'http://shop.example/r', rule: 'SUCCESS_TO_MERCHANT_PAGE' },
  ],
  // R5: no WAP redirect on iOS
  ['success on iOS shows our result page instead of the merchant WAP page', 'SUCCESS', WAP, false, 'IOS', { kind: 'RESULT_PAGE', rule: 'IOS_WAP_PAGE' }],
  ['success in scan-to-pay on iOS shows our result page for a WAP page', 'SUCCESS', WAP, true, 'IOS', { kind: 'RESULT_PAGE', rule: 'IOS_WAP_PAGE' }],
  // R6: merchant app by scheme, outside scan-to-pay, on every platform
  ['success outside scan-to-pay opens the merchant app on Android', 'SUCCESS', APP, false, 'ANDROID', { kind: 'REDIRECT', url: APP, rule: 'SUCCESS_TO_MERCHANT_APP' }],
  ['success outside scan-to-pay opens the merchant app on iOS', 'SUCCESS', APP, false, 'IOS', { kind: 'REDIRECT', url: APP, rule: 'SUCCESS_TO_MERCHANT_APP' }],
  // R4: scan-to-pay never goes to the merchant app
  [
    'success in scan-to-pay sends an app link to the MPP home page (Android)',
    'SUCCESS',
    APP,
    true,
    'ANDROID',
    { kind: 'REDIRECT', url: HOME, rule: 'SCAN_TO_PAY_APP_LINK' },
  ],
  ['success in scan-to-pay sends an app link to the MPP home page (iOS)', 'SUCCESS', APP, true, 'IOS', { kind: 'REDIRECT', url: HOME, rule: 'SCAN_TO_PAY_APP_LINK' }],
  // R2: failure and cancel show our result page
  ['a failed payment shows our result page', 'FAILED', WAP, false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'NOT_SUCCESS' }],
  ['a cancelled payment shows our result page', 'CANCELLED', WAP, false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'NOT_SUCCESS' }],
  ['a failed scan-to-pay payment with an app link shows our result page', 'FAILED', APP, true, 'IOS', { kind: 'RESULT_PAGE', rule: 'NOT_SUCCESS' }],
  ['a cancelled payment without a redirect URL shows our result page', 'CANCELLED', undefined, false, 'OTHER', { kind: 'RESULT_PAGE', rule: 'NOT_SUCCESS' }],
  // R3: no URL, no redirect
  ['success without paymentRedirectUrl does not redirect', 'SUCCESS', undefined, false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'NO_REDIRECT_URL' }],
  ['success with a blank paymentRedirectUrl does not redirect', 'SUCCESS', '  ', false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'NO_REDIRECT_URL' }],
  ['success in scan-to-pay without a URL does not go home either', 'SUCCESS', undefined, true, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'NO_REDIRECT_URL' }],
  // R7: only http(s) and app schemes
  ['never follows javascript:', 'SUCCESS', 'javascript:alert(1)', false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' }],
  ['never follows javascript: in any case or with leading spaces', 'SUCCESS', '  JaVaScRiPt:alert(1)', false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' }],
  ['never follows data:', 'SUCCESS', 'data:text/html,<script>alert(1)</script>', false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' }],
  ['never follows file:', 'SUCCESS', 'file:///etc/passwd', false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' }],
  ['never follows an Android intent: URL', 'SUCCESS', 'intent://scan/#Intent;scheme=zxing;end', false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' }],
  ['never follows javascript: in scan-to-pay either (not sent home)', 'SUCCESS', 'javascript:alert(1)', true, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' }],
  ['never follows a relative or unparseable URL', 'SUCCESS', '/merchant/result', false, 'ANDROID', { kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' }],
];

describe('decideRedirect: seed step 7', () => {
  it.each(table)('%s', (_name, outcome, paymentRedirectUrl, scanToPay, userAgentPlatform, expected) => {
    expect(decideRedirect(input({ outcome, paymentRedirectUrl, scenario: { isScanToPay: scanToPay }, userAgentPlatform }))).toEqual(expected);
  });

  it('never follows a URL longer than the bound', () => {
    const long = `https://shop.example/?q=${'a'.repeat(MAX_REDIRECT_URL_LENGTH)}`;
    expect(decideRedirect(input({ paymentRedirectUrl: long }))).toEqual({ kind: 'RESULT_PAGE', rule: 'UNSAFE_URL' });
  });

  it('redirects to the URL as normalised by the URL parser', () => {
    const decision = decideRedirect(input({ paymentRedirectUrl: 'HTTPS://Shop.Example/a b' }));
    expect(decision).toEqual({ kind: 'REDIRECT', url: 'https://shop.example/a%20b', rule: 'SUCCESS_TO_MERCHANT_PAGE' });
  });
});

describe('scan-to-pay', () => {
  it('is an in-store payment', () => {
    expect(isScanToPay({ isInStorePayment: true })).toBe(true);
    expect(isScanToPay({ isInStorePayment: false })).toBe(false);
  });
});

describe('platformFromUserAgent', () => {
  it.each<[string | undefined, UserAgentPlatform]>([
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36', 'ANDROID'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', 'IOS'],
    ['Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1', 'IOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', 'OTHER'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15', 'OTHER'],
    ['Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) like iPhone OS 7_0_3 Mac OS X', 'IOS'],
    ['', 'OTHER'],
    [undefined, 'OTHER'],
  ])('reads %j as %s', (ua, platform) => {
    expect(platformFromUserAgent(ua)).toBe(platform);
  });
});
