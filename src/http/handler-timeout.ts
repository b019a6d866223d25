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
 *
 * One timer for all requests, not one each: a request joins a queue with its deadline (every
 * request has the same budget, so the queue is in deadline order), and one timer wakes at the
 * oldest deadline, answers whatever is still unanswered, and sleeps until the next (at least
 * SWEEP_SPACING_MS later, so that under load it wakes a few dozen times a second, not once a
 * request). A timeout is answered at most SWEEP_SPACING_MS past its deadline. A request that
 * ends drops its reply from its entry, so the queue keeps no finished request alive. Measured
 * (docs/performance.md, the twelfth round): this hook was the largest of the service's
 * per-request hooks (switched off, identify's CPU a request fell from 70-86 µs to 54-65); the one
 * timer takes about 4 µs a request off.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

export class HandlerTimeoutError extends Error {
  readonly code = 'FST_ERR_HANDLER_TIMEOUT';
  readonly statusCode = 503;
  constructor(ms: number, route: string) {
    super(`Request timed out after ${ms} ms on route '${route}'`);
    this.name = 'HandlerTimeoutError';
  }
}

/** The least time between two wake-ups of the timer (a twentieth of the budget when that is less, at least 5 ms): how late a timeout may be answered. */
const SWEEP_SPACING_MS = 50;

interface InFlight {
  readonly deadline: number;
  /** Dropped once the response has closed: nothing left to answer, nothing to keep alive. */
  reply?: FastifyReply;
}

/** Install on the root instance before any route or child context, so every route inherits it. */
export function installHandlerTimeout(app: FastifyInstance, ms: number): void {
  const spacing = Math.max(5, Math.min(SWEEP_SPACING_MS, Math.floor(ms / 20)));
  let queue: InFlight[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;

  const wakeAt = (deadline: number) => {
    timer = setTimeout(sweep, Math.max(spacing, deadline - performance.now()));
    timer.unref();
  };
  function sweep() {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length && queue[head]!.deadline <= now) {
      const { reply } = queue[head]!;
      head += 1;
      if (!reply || reply.sent || reply.raw.writableEnded || reply.raw.destroyed) continue;
      reply.send(new HandlerTimeoutError(ms, reply.request.routeOptions.url ?? reply.request.url));
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    if (head < queue.length) wakeAt(queue[head]!.deadline);
  }

  app.addHook('onRequest', (_request, reply, done) => {
    const entry: InFlight = { deadline: performance.now() + ms, reply };
    queue.push(entry);
    // 'close' ends every response: sent, failed, or its client gone.
    reply.raw.once('close', () => {
      entry.reply = undefined;
    });
    if (!timer) wakeAt(entry.deadline);
    done();
  });
  app.addHook('onClose', (_app, done) => {
    clearTimeout(timer);
    done();
  });
}
