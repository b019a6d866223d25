/**
 * HANDLER_TIMEOUT_MS: every request is answered within it. Past it, the route's error handler
 * answers FST_ERR_HANDLER_TIMEOUT (U UNKNOWN_EXCEPTION, signed, on the Alipay+ routes; 503 with a
 * reason elsewhere; result-mapper.ts), so Alipay+ gets a U before its own 5 s timeout and retries.
 * A handler still running then is not killed; when it finishes, Fastify drops its late answer and
 * logs that the reply was already sent.
 *
 * Fastify's own `handlerTimeout` option is not used: in Fastify 5.12 it is cancelled for every
 * request with a body, because the raw request's 'close' event (emitted once the body has been
 * read) runs the listener that clears the timer and aborts `request.signal`
 * (fastify/fastify#6725 and #7033, open). Measured here: with handlerTimeout 200, a POST whose
 * handler takes 1 s was answered 200 after 1 s, a GET 503 after 200 ms. Every POST also paid for
 * an AbortError built with a stack trace (about 10% of identify's event loop in the bench).
 */
import type { FastifyInstance } from 'fastify';

export class HandlerTimeoutError extends Error {
  readonly code = 'FST_ERR_HANDLER_TIMEOUT';
  readonly statusCode = 503;
  constructor(ms: number, route: string) {
    super(`Request timed out after ${ms} ms on route '${route}'`);
    this.name = 'HandlerTimeoutError';
  }
}

/** Install on the root instance before any route or child context, so every route inherits it. */
export function installHandlerTimeout(app: FastifyInstance, ms: number): void {
  app.addHook('onRequest', (req, reply, done) => {
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.writableEnded || reply.raw.destroyed) return;
      reply.send(new HandlerTimeoutError(ms, req.routeOptions.url ?? req.url));
    }, ms);
    // 'close' ends every response: sent, failed, or its client gone.
    reply.raw.once('close', () => clearTimeout(timer));
    done();
  });
}
