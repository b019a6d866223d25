/**
 * §1 Signature: RSA with SHA-256 ("RSA256") over
 *   `<METHOD> <request path and query>\n<Client-Id>.<Request-Time or Response-Time>.<raw body>`
 * carried as `Signature: algorithm=RSA256,keyVersion=<n>,signature=<url-encoded base64>`.
 *
 * One module for all four directions: verify an inbound Alipay+ request, sign our response, sign
 * an outbound request, verify the answer to it. It reproduces ../shared/signing/ byte for byte.
 * Signing runs on libuv's thread pool (asynchronous crypto.sign) so the event loop stays free.
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export interface SignedMessage {
  readonly method: string;
  /** Path and query exactly as sent; an absolute URL is reduced to its path and query. */
  readonly uri: string;
  readonly clientId: string;
  /** Request-Time or Response-Time, signed and verified as the opaque string it is. */
  readonly time: string;
  readonly body: Buffer | string;
}

export interface ParsedSignatureHeader {
  readonly algorithm: string;
  readonly keyVersion: string | undefined;
  readonly signature: string;
}

/** The path and query of a request line target (some clients send an absolute URL). */
export function signedUri(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const u = new URL(target);
    return `${u.pathname}${u.search}`;
  } catch {
    return target;
  }
}

/** The exact bytes that are signed. */
export function signingContent(m: SignedMessage): Buffer {
  const head = Buffer.from(`${m.method.toUpperCase()} ${signedUri(m.uri)}\n${m.clientId}.${m.time}.`, 'utf8');
  const body = typeof m.body === 'string' ? Buffer.from(m.body, 'utf8') : m.body;
  return Buffer.concat([head, body]);
}

function signBytes(content: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    cryptoSign('sha256', content, key, (err, sig) => (err ? reject(err) : resolve(sig)));
  });
}

function verifyBytes(content: Buffer, signature: Buffer, key: KeyObject): Promise<boolean> {
  return new Promise((resolve) => {
    cryptoVerify('sha256', content, key, signature, (err, ok) => resolve(!err && ok));
  });
}

/** The url-encoded base64 signature value (`+` `/` `=` become `%2B` `%2F` `%3D`). */
export async function sign(m: SignedMessage, privateKey: KeyObject): Promise<string> {
  const sig = await signBytes(signingContent(m), privateKey);
  return encodeURIComponent(sig.toString('base64'));
}

export function signatureHeader(keyVersion: string, urlEncodedSignature: string): string {
  return `algorithm=RSA256,keyVersion=${keyVersion},signature=${urlEncodedSignature}`;
}

/**
 * Parses the three pairs tolerantly: spaces after commas, any order, lowercase escapes.
 * Returns undefined when the header is missing a signature or names another algorithm.
 */
export function parseSignatureHeader(header: string | undefined): ParsedSignatureHeader | undefined {
  if (!header || header.length > 4096) return undefined;
  const pairs = new Map<string, string>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    // The signature value itself may end in url-encoded '=' only; a raw '=' belongs to the value.
    pairs.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const algorithm = pairs.get('algorithm') ?? 'RSA256';
  const signature = pairs.get('signature');
  if (!signature || algorithm.toUpperCase() !== 'RSA256') return undefined;
  return { algorithm, keyVersion: pairs.get('keyversion'), signature };
}

/** Verifies a url-encoded (or bare) base64 signature over the message. Never throws. */
export async function verify(m: SignedMessage, urlEncodedSignature: string, publicKey: KeyObject): Promise<boolean> {
  let raw: Buffer;
  try {
    raw = Buffer.from(decodeURIComponent(urlEncodedSignature), 'base64');
  } catch {
    return false;
  }
  if (raw.length === 0 || raw.length > 1024) return false;
  return verifyBytes(signingContent(m), raw, publicKey);
}

const PEM = /-----BEGIN [A-Z ]+-----/;

/** A private key given as PEM or bare base64 DER (PKCS#8, or PKCS#1 as operators also paste). */
export function loadPrivateKey(text: string): KeyObject {
  const t = text.trim();
  if (PEM.test(t)) return createPrivateKey(t);
  const der = Buffer.from(t.replace(/\s+/g, ''), 'base64');
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

/** A public key given as PEM or bare base64 DER (X.509 SubjectPublicKeyInfo, or PKCS#1). */
export function loadPublicKey(text: string): KeyObject {
  const t = text.trim();
  if (PEM.test(t)) return createPublicKey(t);
  const der = Buffer.from(t.replace(/\s+/g, ''), 'base64');
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}
