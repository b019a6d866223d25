/** App and ops routes: 4xx/5xx with a `{result}` body and a reason; never a stack trace. */
import type { FastifyInstance } from 'fastify';
import { result } from '../domain/errors.ts';
import { httpStatusFor, mapError } from './result-mapper.ts';

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(async (err, req, reply) => {
    const { result: r, unexpected } = mapError(err);
    if (unexpected) req.log.error({ err }, 'unexpected error');
    else req.log.warn({ resultCode: r.resultCode, reason: r.resultMessage }, 'request refused');
    return reply.code(httpStatusFor(r, err)).send({ result: r });
  });
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ result: result('PARAM_ILLEGAL', `No route ${req.method} ${req.url.split('?')[0]}`) }));
}
