/**
 * App -> MPP: `POST /app/v1/authCodes` (service-interface) issues a §3 auth code for the
 * customer of the app's bearer JWT (req.customerId, set by ./auth.ts). Body, optional:
 * `{scopes?: [...]}`, default ["BASE_USER_INFO"]. Answer: `{result, authCode, authCodeExpiryTime}`.
 * An unknown customer is 404 USER_NOT_EXIST, a frozen one 400 USER_STATUS_ABNORMAL, bad scopes
 * 400 PARAM_ILLEGAL naming the field.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { result } from '../../domain/errors.ts';
import { AUTH_SCOPES } from '../../domain/tokens/token.ts';
import type { TokenUseCases } from '../../domain/tokens/use-cases.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { parseWire } from '../validation.ts';

export const authCodeRequest = z.object({
  scopes: z
    .array(z.enum(AUTH_SCOPES))
    .min(1)
    .max(AUTH_SCOPES.length * 2)
    .optional(),
});

export interface AuthCodeRoutesDeps {
  readonly tokens: TokenUseCases;
}

export async function authCodeRoutes(app: FastifyInstance, deps: AuthCodeRoutesDeps): Promise<void> {
  app.post('/authCodes', async (req) => {
    const body = parseWire(authCodeRequest, req.body ?? {});
    const customerId = req.customerId!;
    const issued = await deps.tokens.issueAuthCode(customerId, body.scopes);
    req.log.info({ customerId, scopes: issued.scopes }, 'auth code issued');
    return { result: result('SUCCESS'), authCode: issued.authCode, authCodeExpiryTime: isoWithOffset(issued.expiresAt) };
  });
}
