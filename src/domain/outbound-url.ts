/**
 * Issue 16 item 7: which URLs we call (paymentNotifyUrl) or hand to the app (a code rule's
 * redirectUrl). Both come from outside (Alipay+'s pay request, a code-rule set), so without a rule
 * they could point our server at an internal service (SSRF) or the app at a plain-http page.
 *
 *   - https only; http only when the operator allows it (local runs with the simulator);
 *   - no user:password@ in the URL;
 *   - not an internal address: loopback, private, link-local (cloud metadata), CGNAT, unique-local,
 *     unspecified, `localhost` and `*.localhost` / `*.internal` / `*.local` names, unless allowed;
 *   - for notify, the host must be on the allow-list: `host` exactly, or `*.suffix` for its subdomains.
 *
 * A name that RESOLVES to an internal address is caught where we send (the client resolves it
 * first: src/alipayplus/client.ts); this module only reads the URL.
 */
import { isIP } from 'node:net';
import { ParamIllegal } from './errors.ts';

export interface OutboundUrlPolicy {
  readonly allowHttp: boolean;
  readonly allowPrivateAddresses: boolean;
  /** Host allow-list; undefined: any host (the code rules' URLs). */
  readonly allowedHosts?: readonly string[] | undefined;
}

function ipv4Internal(a: number, b: number): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    a >= 224
  );
}

/** True for an IP literal (v4 or v6, brackets allowed) in an internal range. */
export function isInternalAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  const kind = isIP(h);
  if (kind === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return ipv4Internal(a, b);
  }
  if (kind === 6) {
    if (h === '::' || h === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return isInternalAddress(mapped[1]!);
    const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
    if (mappedHex) {
      const hi = parseInt(mappedHex[1]!, 16);
      return ipv4Internal(hi >> 8, hi & 0xff);
    }
    return /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || /^ff/.test(h);
  }
  return false;
}

function internalName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.internal') || h.endsWith('.local');
}

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith('*.') ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}

/** Why the URL is refused, or undefined when the policy accepts it. */
export function outboundUrlProblem(url: string, policy: OutboundUrlPolicy): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && policy.allowHttp)) return 'must be an https URL';
  if (u.username || u.password) return 'must not carry credentials';
  if (!policy.allowPrivateAddresses && (isInternalAddress(u.hostname) || internalName(u.hostname))) {
    return 'must not point at an internal or loopback address';
  }
  if (policy.allowedHosts && !hostAllowed(u.hostname, policy.allowedHosts)) return `host ${u.hostname} is not on the allowed notify hosts`;
  return undefined;
}

/**
 * The one check of a paymentNotifyUrl before an order is stored: Alipay+'s pay request (cashier,
 * payment code, Auto Debit) and the order a §8 userInitiatedPay answer carries alike.
 * @throws ParamIllegal naming paymentNotifyUrl when the policy refuses it. No policy: no check.
 */
export function assertNotifyUrl(url: string | undefined, policy: OutboundUrlPolicy | undefined): void {
  const problem = url && policy ? outboundUrlProblem(url, policy) : undefined;
  if (problem) throw new ParamIllegal('paymentNotifyUrl', problem);
}
