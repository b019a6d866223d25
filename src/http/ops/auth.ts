/** Ops routes require `Authorization: Bearer <OPS_API_TOKEN>`, compared in constant time. */
import type { FastifyInstance } from 'fastify';
import { result } from '../../domain/errors.ts';
import { bearerToken, secretEquals } from '../bearer.ts';

export function requireOpsToken(app: FastifyInstance, opsApiToken: string): void {
  app.addHook('onRequest', async (req, reply) => {
    const token = bearerToken(req);
    if (!token || !secretEquals(token, opsApiToken)) {
      req.log.warn({ route: req.routeOptions.url }, 'ops request without a valid token');
      return reply.code(401).send({ result: result('ACCESS_DENIED', 'A valid ops bearer token is required') });
    }
  });
}
