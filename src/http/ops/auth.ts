/**
 * Ops routes require `Authorization: Bearer <token>`, one of the configured ops tokens, compared in
 * constant time (every token is compared, so the time does not tell which one matched). Each token
 * has a label (OPS_API_TOKEN is `ops`; OPS_API_TOKENS adds `label:token` pairs): the matching
 * label is `req.opsActor`, recorded with what the request changes (top-ups, issue 16).
 */
import type { FastifyInstance } from 'fastify';
import { result } from '../../domain/errors.ts';
import { bearerToken, secretEquals } from '../bearer.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The label of the ops token this request presented. */
    opsActor?: string;
  }
}

export interface OpsToken {
  readonly label: string;
  readonly token: string;
}

export function requireOpsToken(app: FastifyInstance, opsTokens: readonly OpsToken[]): void {
  app.decorateRequest('opsActor', undefined);
  app.addHook('onRequest', async (req, reply) => {
    const token = bearerToken(req);
    let actor: string | undefined;
    if (token) for (const t of opsTokens) if (secretEquals(token, t.token) && actor === undefined) actor = t.label;
    if (!actor) {
      req.log.warn({ route: req.routeOptions.url }, 'ops request without a valid token');
      return reply.code(401).send({ result: result('ACCESS_DENIED', 'A valid ops bearer token is required') });
    }
    req.opsActor = actor;
  });
}
