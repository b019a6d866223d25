/**
 * The Fastify instance's options (limits, timeouts, request ids, framework errors) and logging
 * (redaction, the request serializer), plus the security headers every answer carries.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.ts';
import { result } from '../domain/errors.ts';

/** Never log a secret: keys, tokens, auth codes, signatures, cashier links. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.signature',
  'req.headers.cookie',
  '*.accessToken',
  '*.refreshToken',
  '*.authCode',
  '*.privateKey',
  '*.codeValue',
  '*.paymentUrl',
];

/** On every answer (installSecurityHeaders). */
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

export function loggerOptions(config: Config): Record<string, unknown> {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // The cashier path holds the payment's link token: log the route, not the URL.
      req: (req: { method: string; url: string; id: string; routeOptions?: { url?: string } }) => ({
        method: req.method,
        url: req.url.startsWith('/cashier/') ? '/cashier/[redacted]' : req.url.split('?')[0],
        id: req.id,
      }),
    },
  };
}

/** `logger`: pino options or false (tests); default loggerOptions(config). */
export function fastifyOptions(config: Config, logger: boolean | Record<string, unknown> | undefined): FastifyHttpOptions<Server> {
  return {
    logger: logger ?? loggerOptions(config),
    // Limits and timeouts, each on purpose (issue 9; tested in test/fuzz/limits.test.ts):
    // a body is at most BODY_LIMIT_BYTES (Alipay+ routes answer F PARAM_ILLEGAL, the others 413);
    bodyLimit: config.bodyLimitBytes,
    // a client has REQUEST_TIMEOUT_MS to send headers and body (slow senders get 408 and are cut);
    requestTimeout: config.requestTimeoutMs,
    // the answer comes within HANDLER_TIMEOUT_MS, else U UNKNOWN_EXCEPTION / 503 (§1: answer U rather
    // than let Alipay+ time out at 5 s): installHandlerTimeout in app.ts, not Fastify's handlerTimeout;
    // an idle keep-alive connection stays 72 s, longer than the usual load balancer's 60 s idle
    // timeout (so the balancer, not us, closes it: no reset on a reused connection);
    keepAliveTimeout: 72_000,
    // no socket inactivity timeout on top: the three above bound every phase of a request.
    connectionTimeout: 0,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.requestTimeoutMs,
      // Node checks the two timeouts above on this interval (its default, 30 s, would let a slow
      // sender hold a connection 30 s past REQUEST_TIMEOUT_MS).
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
      // Node's default, stated: larger headers get 431 before any of our code runs.
      maxHeaderSize: 16_384,
    },
    // A path that is not valid percent-encoding, or a path parameter over 100 characters: a
    // `{result}` like every other refusal, never echoing the path (a cashier path holds a token).
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      // Answered before any hook runs: the security headers are set here too.
      void reply
        .code(tooLong ? 414 : 400)
        .headers(SECURITY_HEADERS)
        .send({ result: result('PARAM_ILLEGAL', tooLong ? 'A path parameter is too long' : 'The URL is malformed') });
    },
    // A request id from the caller (bounded) or our own, on every log line.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  };
}

/**
 * Every answer (Alipay+, app, ops, errors): no MIME sniffing, and never cached, since bodies carry
 * tokens, auth codes and payment data. A route that wants caching (none today) sets its own
 * Cache-Control; the cashier page sets its own CSP and framing headers.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', SECURITY_HEADERS['x-content-type-options']);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', SECURITY_HEADERS['cache-control']);
    return payload;
  });
}
