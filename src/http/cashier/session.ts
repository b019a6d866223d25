/**
 * §5 "the cashier knows who pays": the cashier session (issue 16 item 1).
 *
 * The app's webview opens paymentUrl with the logged-in user's app JWT as a bearer header on the
 * first GET. A valid JWT becomes a session cookie for that user on that link: HttpOnly (no script
 * reads it), SameSite=Strict (no other site's form carries it), Path = this cashier path (no other
 * link sees it), Secure when PUBLIC_BASE_URL is https, Max-Age CASHIER_SESSION_SECONDS.
 *
 * The cookie is stateless: `customerId.expiresAtSeconds.mac`, mac = HMAC(key, link token,
 * customerId, expiry). It names the user, is bound to one link (a cookie from another link does not
 * verify here) and expires by itself; every instance with the same key accepts it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { verifyAppToken } from '../app/auth.ts';
import { bearerToken } from '../bearer.ts';

export const CASHIER_COOKIE = 'mpp_cashier';

export interface CashierSessionOptions {
  /** HMAC key of the cookie (derived from a configured secret, the same on every instance). */
  readonly key: Buffer;
  readonly appJwtSecret: Uint8Array;
  readonly publicBaseUrl: string;
  readonly sessionSeconds: number;
  readonly now: () => Date;
}

export interface CashierViewer {
  /** The user this request acts for, when it has a session (or presented a valid app JWT). */
  readonly customerId: string | undefined;
  /** A Set-Cookie value to send: only when a bearer JWT was exchanged for a session. */
  readonly setCookie?: string;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function cashierSessions(o: CashierSessionOptions) {
  const basePath = new URL(o.publicBaseUrl).pathname.replace(/\/+$/, '');
  const secure = new URL(o.publicBaseUrl).protocol === 'https:';
  const mac = (token: string, customerId: string, exp: number) =>
    createHmac('sha256', o.key).update(`cashier-session:v1:${token}:${customerId}:${exp}`).digest('base64url');

  function fromCookie(req: FastifyRequest, token: string): string | undefined {
    const value = cookieValue(req.headers.cookie, CASHIER_COOKIE);
    const m = value ? /^([A-Za-z0-9_-]{1,64})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
    if (!m) return undefined;
    const [, customerId, expText, given] = m as unknown as [string, string, string, string];
    const exp = Number(expText);
    if (exp * 1000 <= o.now().getTime()) return undefined;
    const a = Buffer.from(given);
    const b = Buffer.from(mac(token, customerId, exp));
    return a.length === b.length && timingSafeEqual(a, b) ? customerId : undefined;
  }

  return {
    /** Who is looking at this link: a bearer JWT (exchanged for a cookie) first, else the cookie. */
    async viewer(req: FastifyRequest, token: string): Promise<CashierViewer> {
      const bearer = bearerToken(req);
      if (bearer) {
        const check = await verifyAppToken(bearer, { secret: o.appJwtSecret, now: o.now });
        if (!check.ok) {
          req.log.info({ reason: check.reason }, 'cashier bearer refused; no session');
          return { customerId: undefined };
        }
        const exp = Math.floor(o.now().getTime() / 1000) + o.sessionSeconds;
        const setCookie =
          `${CASHIER_COOKIE}=${check.customerId}.${exp}.${mac(token, check.customerId, exp)}; Path=${basePath}/cashier/${token}; ` +
          `Max-Age=${o.sessionSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
        return { customerId: check.customerId, setCookie };
      }
      return { customerId: fromCookie(req, token) };
    },
    /** The session of a POST: the cookie only (a form cannot carry a bearer header). */
    fromCookie,
  };
}

/** The cookie's HMAC key: derived from the csrf key with its own label (no new secret to manage). */
export function cashierSessionKey(csrfKey: Buffer): Buffer {
  return createHmac('sha256', csrfKey).update('mpp cashier session v1').digest();
}
