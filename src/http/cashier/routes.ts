/**
 * Browser -> MPP: the cashier page at `paymentUrl` (GET /cashier/:token) and its Pay / Cancel
 * buttons (POST /cashier/:token, form-urlencoded `action=pay|cancel&csrf=...`), §5 and seed step 7.
 *
 * Who can act: only the payment's own customer (§5): the app's webview presents the user's app
 * JWT on the first GET and gets a session cookie for this link (session.ts); without it, or for
 * another user, the page shows the order and "open this in the wallet app", and a POST is refused
 * (403) before anything changes. The link token only finds the payment (looked up by its
 * SHA-256). A POST must also carry csrf = HMAC(server key, token), written into the page we
 * rendered, and is refused when the browser says it came from another site (Sec-Fetch-Site), so
 * a cross-site form cannot submit it. A replayed POST is harmless: the compare-and-set lets one
 * change leave PROCESSING and the debit is keyed by the paymentId; it shows the final state.
 *
 * After a result, decideRedirect (seed step 7) picks a 303 to the merchant / MPP home page or our
 * result page. CSP `form-action` covers the redirect chain of a form submission, so the page
 * allows the one target a successful Pay would redirect to.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type RESULT_CATALOG } from '../../domain/errors.ts';
import type { CashierUseCases } from '../../domain/payments/cashier.ts';
import type { Payment } from '../../domain/payments/payment.ts';
import { decideRedirect, isScanToPay, platformFromUserAgent, type RedirectDecision } from '../../domain/payments/redirect.ts';
import type { Clock } from '../../domain/ports.ts';
import { secureRandomBytes } from '../../domain/random.ts';
import { cashierPage, messagePage, OPEN_IN_APP, openInAppPage, resultPage } from './html.ts';
import { type CashierViewer, cashierSessionKey, cashierSessions } from './session.ts';
import { installRateLimit, RateLimited, type RateLimitOptions } from '../rate-limit.ts';

export interface CashierRouteDeps {
  readonly cashier: CashierUseCases;
  readonly clock: Clock;
  /** Key of the csrf HMAC; the same on every instance (derived from a configured secret). */
  readonly csrfKey: Buffer;
  readonly mppHomeUrl: string;
  readonly publicBaseUrl: string;
  /** Verifies the app JWT the webview presents on the first GET. */
  readonly appJwtSecret: Uint8Array;
  /** Lifetime of the cashier session cookie. */
  readonly sessionSeconds: number;
  /** Per-peer limit on the page and its form (429 page beyond it). */
  readonly rateLimit?: RateLimitOptions;
}

/** What the user is told when Pay is refused; the order stays payable (§5, our choice). */
const REFUSALS: Partial<Record<keyof typeof RESULT_CATALOG, string>> = {
  USER_BALANCE_NOT_ENOUGH: 'Your wallet balance is not enough for this payment. Top up and try again before the time runs out.',
  USER_STATUS_ABNORMAL: 'Your wallet is frozen, so it cannot pay right now. Please contact support.',
  USER_AMOUNT_EXCEED_LIMIT: 'This payment is above your wallet limit.',
  USER_NOT_EXIST: 'Your wallet account could not be found.',
};

function redirectOf(p: Payment, outcome: 'SUCCESS' | 'FAILED' | 'CANCELLED', userAgent: string | undefined, mppHomeUrl: string): RedirectDecision {
  return decideRedirect({
    outcome,
    paymentRedirectUrl: p.request.paymentRedirectUrl,
    scenario: { isScanToPay: isScanToPay({ isInStorePayment: p.request.paymentFactor.isInStorePayment === 'true' }) },
    userAgentPlatform: platformFromUserAgent(userAgent),
    mppHomeUrl,
  });
}

/** The CSP source a redirect target needs in form-action ('self' covers our own origin). */
function formActionSource(url: string, base: string): string | undefined {
  try {
    const u = new URL(url, base);
    if (u.origin === new URL(base).origin) return undefined;
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : u.protocol;
  } catch {
    return undefined;
  }
}

export async function cashierRoutes(app: FastifyInstance, deps: CashierRouteDeps): Promise<void> {
  const sessions = cashierSessions({
    key: cashierSessionKey(deps.csrfKey),
    appJwtSecret: deps.appJwtSecret,
    publicBaseUrl: deps.publicBaseUrl,
    sessionSeconds: deps.sessionSeconds,
    now: () => deps.clock.now(),
  });
  const csrfOf = (token: string) => createHmac('sha256', deps.csrfKey).update(`cashier-csrf:${token}`).digest('base64url');

  // The forms post application/x-www-form-urlencoded; parsed here (no @fastify/formbody needed).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const send = (reply: FastifyReply, status: number, nonce: string, html: string, extraFormAction?: string) => {
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header(
        'content-security-policy',
        `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self'; ` +
          `form-action 'self'${extraFormAction ? ` ${extraFormAction}` : ''}; frame-ancestors 'none'; base-uri 'none'`,
      )
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff');
    return reply.send(html);
  };
  const nonce = () => secureRandomBytes(16).toString('base64url');

  const message = (reply: FastifyReply, status: number, title: string, text: string) => {
    const n = nonce();
    return send(reply, status, n, messagePage(title, text, n));
  };
  const notFound = (reply: FastifyReply) => message(reply, 404, 'Not found', 'This payment link is not valid.');

  if (deps.rateLimit) installRateLimit(app, deps.rateLimit);

  // No stack trace, no detail: a page.
  app.setErrorHandler(async (err, req, reply) => {
    if (err instanceof RateLimited) return message(reply, 429, 'Too many requests', 'Please wait a moment and try again.');
    req.log.error({ err }, 'cashier failed');
    return message(reply, 500, 'Something went wrong', 'Please try again in a moment.');
  });
  app.setNotFoundHandler(async (_req, reply) => notFound(reply));

  /** The page for a payment as it is now: the form while open, the result once final. */
  const render = (req: FastifyRequest, reply: FastifyReply, p: Payment, token: string, viewer: CashierViewer, error?: string) => {
    const n = nonce();
    if (viewer.setCookie) reply.header('set-cookie', viewer.setCookie);
    if (p.status !== 'PROCESSING') return send(reply, 200, n, resultPage(p, n));
    if (viewer.customerId !== p.customerId) return send(reply, 200, n, openInAppPage(p, n));
    const onSuccess = redirectOf(p, 'SUCCESS', req.headers['user-agent'], deps.mppHomeUrl);
    const extra = onSuccess.kind === 'REDIRECT' ? formActionSource(onSuccess.url, deps.publicBaseUrl) : undefined;
    const secondsLeft = (p.expiresAt.getTime() - deps.clock.now().getTime()) / 1000;
    return send(reply, 200, n, cashierPage({ payment: p, nonce: n, csrf: csrfOf(token), secondsLeft, error }), extra);
  };

  app.get<{ Params: { token: string } }>('/:token', async (req, reply) => {
    try {
      const token = req.params.token;
      const p = await deps.cashier.show(token);
      return render(req, reply, p, token, await sessions.viewer(req, token));
    } catch (err) {
      if (err instanceof DomainError && err.code === 'ORDER_NOT_EXIST') return notFound(reply);
      throw err;
    }
  });

  app.post<{ Params: { token: string }; Body: Record<string, string> | undefined }>('/:token', async (req, reply) => {
    const token = req.params.token;
    const body = req.body && typeof req.body === 'object' ? req.body : {};
    const given = Buffer.from(String(body.csrf ?? ''));
    const expected = Buffer.from(csrfOf(token));
    const crossSite = req.headers['sec-fetch-site'] === 'cross-site';
    if (crossSite || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      req.log.warn({ crossSite }, 'cashier form refused (csrf)');
      return message(reply, 403, 'Request refused', 'Please open the payment link again.');
    }
    const action = body.action;
    if (action !== 'pay' && action !== 'cancel') return message(reply, 400, 'Bad request', 'Unknown action.');
    const viewer: CashierViewer = { customerId: sessions.fromCookie(req, token) };
    try {
      const outcome = action === 'pay' ? await deps.cashier.pay(token, viewer.customerId) : await deps.cashier.cancel(token, viewer.customerId);
      const p = outcome.payment;
      req.log.info({ paymentId: p.paymentId, action, status: p.status, changed: outcome.changed }, 'cashier action');
      if (p.status === 'PROCESSING') return render(req, reply, p, token, viewer);
      const decision = redirectOf(p, p.status === 'SUCCESS' ? 'SUCCESS' : action === 'cancel' ? 'CANCELLED' : 'FAILED', req.headers['user-agent'], deps.mppHomeUrl);
      if (outcome.changed && decision.kind === 'REDIRECT') return reply.code(303).header('cache-control', 'no-store').redirect(decision.url, 303);
      return render(req, reply, p, token, viewer);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'ORDER_NOT_EXIST') return notFound(reply);
      if (err instanceof DomainError && err.code === 'ACCESS_DENIED') {
        req.log.warn({ hasSession: viewer.customerId !== undefined }, "cashier action refused: not the payment's customer");
        return message(reply, 403, 'Open in the wallet app', OPEN_IN_APP);
      }
      const refusal = err instanceof DomainError ? REFUSALS[err.code] : undefined;
      if (!refusal || !(err instanceof DomainError)) throw err;
      req.log.info({ resultCode: err.code }, 'cashier pay refused; order stays payable');
      return render(req, reply, await deps.cashier.show(token), token, viewer, refusal);
    }
  });
}

/**
 * The csrf HMAC key: derived from the MPP private key (configured, the same on every instance), so
 * a page rendered by one instance posts to any other, and no new secret has to be managed.
 */
export function cashierCsrfKey(secrets: { mppPrivateKey: import('node:crypto').KeyObject }): Buffer {
  const der = secrets.mppPrivateKey.export({ format: 'der', type: 'pkcs8' });
  return createHmac('sha256', der).update('mpp cashier csrf v1').digest();
}
