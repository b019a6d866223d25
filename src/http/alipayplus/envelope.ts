/**
 * The §1 envelope for every `/alipayplus/*` route: raw body kept, the request verified before any
 * work, always HTTP 200 with a signed `result`, response headers in lowercase.
 *
 * Order of the envelope checks (each answer signed, except as below):
 *   Client-Id unknown              -> F INVALID_CLIENT, UNSIGNED, in onRequest before the body is
 *                                     read (§1 Revision 2: the caller has no key to verify it, and
 *                                     signing is the costly part of a refusal)
 *   Signature header missing/bad   -> F INVALID_SIGNATURE
 *   keyVersion unknown             -> F KEY_NOT_FOUND
 *   Request-Time outside window    -> F INVALID_SIGNATURE (our choice, §1)
 *   signature does not verify      -> F INVALID_SIGNATURE
 *   body not UTF-8 JSON object     -> F PARAM_ILLEGAL
 *   NUL, lone surrogate, too deep  -> F PARAM_ILLEGAL naming the field (../hostile-input.ts)
 *   pspId not ours                 -> F ACCESS_DENIED (our choice, §1)
 *
 * Refusals before the signature verified are counted per peer: past `signedRefusalsPerWindow` in
 * a window, that peer's further refusals are answered unsigned (a flood with Alipay+'s public
 * Client-Id and a bad signature cannot make us sign for it); its valid requests are still served.
 */
import type { KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type Result } from '../../domain/errors.ts';
import type { KeyValueStore } from '../../domain/ports.ts';
import { isoWithOffset, parseRequestTime } from '../../alipayplus/wire-time.ts';
import { rejectHostileInput } from '../hostile-input.ts';
import { mapError } from '../result-mapper.ts';
import { parseSignatureHeader, sign, signatureHeader, verify } from '../../alipayplus/signature.ts';

export interface EnvelopeOptions {
  readonly clientId: string;
  readonly pspId: string;
  readonly mppPrivateKey: KeyObject;
  readonly mppKeyVersion: string;
  readonly alipayPlusPublicKeys: ReadonlyMap<string, KeyObject>;
  readonly maxSkewSeconds: number;
  readonly bodyLimitBytes: number;
  readonly now: () => Date;
  /** Signed refusals per peer per window before they go unsigned (issue 16); 0: always signed. */
  readonly refusals?: { readonly kv: KeyValueStore; readonly signedPerWindow: number; readonly windowMs: number };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received (what the signature covers). */
    rawBody?: Buffer;
    /** The resultCode we answered with, for logs and metrics. */
    resultCode?: string;
    /** The answer goes out without our signature (unknown caller, or a peer past its signed refusals). */
    unsignedAnswer?: boolean;
    /** The request's signature verified (refusals after this point are not counted per peer). */
    signatureVerified?: boolean;
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The §1 checks on a signed request, over `req.rawBody`; throws the DomainError to answer. The
 * simulator applies the same checks to the MPP's requests, with the MPP's key as the peer key.
 */
export async function checkEnvelope(req: FastifyRequest, o: Pick<EnvelopeOptions, 'clientId' | 'alipayPlusPublicKeys' | 'maxSkewSeconds' | 'now'>): Promise<void> {
  const clientId = header(req, 'client-id');
  if (!clientId || clientId !== o.clientId) throw new DomainError('INVALID_CLIENT', 'Client-Id is missing or unknown');
  const parsed = parseSignatureHeader(header(req, 'signature'));
  if (!parsed) throw new DomainError('INVALID_SIGNATURE', 'Signature header is missing or malformed');
  const key = o.alipayPlusPublicKeys.get(parsed.keyVersion ?? [...o.alipayPlusPublicKeys.keys()][0] ?? '');
  if (!key) throw new DomainError('KEY_NOT_FOUND', 'keyVersion is unknown'); // never echo the header back
  const requestTime = header(req, 'request-time');
  const at = requestTime === undefined ? undefined : parseRequestTime(requestTime);
  if (at === undefined) throw new DomainError('INVALID_SIGNATURE', 'Request-Time is missing or malformed');
  if (Math.abs(o.now().getTime() - at) > o.maxSkewSeconds * 1000) {
    throw new DomainError('INVALID_SIGNATURE', 'Request-Time is outside the accepted window');
  }
  const ok = await verify({ method: req.method, uri: req.url, clientId, time: requestTime!, body: req.rawBody ?? Buffer.alloc(0) }, parsed.signature, key);
  if (!ok) throw new DomainError('INVALID_SIGNATURE');
}

// §1: the body is UTF-8. Invalid bytes are refused rather than silently replaced by U+FFFD (which
// would make us act on a value Alipay+ never sent). A leading BOM is ignored (RFC 8259 allows it).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as a JSON object. Duplicated keys: JSON.parse keeps the last one. The signature covers
 * the raw bytes, so whoever signed them signed the duplicate too; there is no second parser in the
 * path that could read the first one (documented in docs/threat-model.md).
 */
function parseJsonObject(raw: Buffer | undefined): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(raw ?? Buffer.alloc(0));
  } catch {
    throw new DomainError('PARAM_ILLEGAL', 'Request body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DomainError('PARAM_ILLEGAL', 'Request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('PARAM_ILLEGAL', 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * Installs the envelope on an encapsulated Fastify context: register the Alipay+ routes inside
 * the same `register` call, after this.
 */
export function installEnvelope(app: FastifyInstance, o: EnvelopeOptions): void {
  // Keep the raw bytes whatever the declared content type: the signature covers them exactly.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.bodyLimitBytes }, (_req, body, done) => done(null, body));

  // A caller that is not the configured Alipay+ client: refused before its body is read, unsigned.
  app.addHook('onRequest', async (req) => {
    if (header(req, 'client-id') !== o.clientId) {
      req.unsignedAnswer = true;
      throw new DomainError('INVALID_CLIENT', 'Client-Id is missing or unknown');
    }
  });

  app.addHook('preHandler', async (req) => {
    req.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await checkEnvelope(req, o);
    req.signatureVerified = true;
    const body = parseJsonObject(req.rawBody);
    rejectHostileInput(body);
    // Only a well-formed pspId can be "another MPP's"; a malformed one is the route's F PARAM_ILLEGAL.
    if (typeof body.pspId === 'string' && body.pspId.length >= 1 && body.pspId.length <= 64 && body.pspId !== o.pspId) {
      throw new DomainError('ACCESS_DENIED', 'pspId is not this MPP');
    }
    req.body = body;
  });

  app.addHook('preSerialization', async (req, _reply, payload) => {
    const r = (payload as { result?: Result } | null)?.result;
    if (r) req.resultCode = r.resultCode;
    return payload;
  });

  // §1: sign every answer, success or failure, with Response-Time in place of Request-Time.
  app.addHook('onSend', async (req, reply, payload) => {
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload : JSON.stringify(payload ?? '');
    if (req.unsignedAnswer) return body;
    const responseTime = isoWithOffset(o.now());
    const value = await sign({ method: req.method, uri: req.url, clientId: o.clientId, time: responseTime, body }, o.mppPrivateKey);
    reply.header('client-id', o.clientId);
    reply.header('response-time', responseTime);
    reply.header('signature', signatureHeader(o.mppKeyVersion, value));
    return body;
  });

  // Always HTTP 200 with a result; never a stack trace.
  app.setErrorHandler(async (err, req, reply: FastifyReply) => {
    const { result, unexpected } = mapError(err);
    if (unexpected) req.log.error({ err }, 'unexpected error on an Alipay+ route');
    else req.log.warn({ resultCode: result.resultCode, reason: result.resultMessage }, 'Alipay+ request refused');
    req.resultCode = result.resultCode;
    if (!req.signatureVerified && !req.unsignedAnswer && o.refusals && o.refusals.signedPerWindow > 0) {
      req.unsignedAnswer = await overSignedRefusals(req, o.refusals, o.now());
    }
    return reply.code(200).header('content-type', 'application/json; charset=UTF-8').send({ result });
  });
}

/** Counts one unverified refusal of this peer; true once it is past its signed refusals of the window. */
async function overSignedRefusals(req: FastifyRequest, r: NonNullable<EnvelopeOptions['refusals']>, now: Date): Promise<boolean> {
  const window = Math.floor(now.getTime() / r.windowMs);
  try {
    return (await r.kv.incrementWindow(`refusals:${req.ip}:${window}`, r.windowMs)) > r.signedPerWindow;
  } catch {
    return false; // the store is away: sign as before (fail open, like the rate limits)
  }
}
