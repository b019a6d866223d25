/**
 * Alipay+ -> MPP §3 routes: applyToken, cancelToken (under /authorizations) and inquiryUserInfo
 * (under /users). The wire schemas below are the exact Alipay+ shapes (every scalar a string,
 * optional fields omitted or null, never ""), exported so the API description can be built from
 * them. A route parses, checks the acquirer, calls one use case and maps the result.
 *
 * Field limits: pspId and acquirerId at most 64, authCode at most 32 (§3), accessToken and
 * refreshToken at most 128 (§3), passThroughInfo at most 20000 (Alipay+ applyToken/cancelToken).
 *
 * acquirerId (our choice): must be the configured ALIPAYPLUS_ACQUIRER_ID (Alipay+ itself,
 * 2052666000000000, by default). A malformed one is F PARAM_ILLEGAL; a well-formed other one is
 * F ACCESS_DENIED, as for another pspId in the envelope (§1): the caller is not one we serve.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError, RESULT_CATALOG, result } from '../../domain/errors.ts';
import type { TokenUseCases } from '../../domain/tokens/use-cases.ts';
import { parseWire } from '../validation.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { acquirerId, optional, pspId } from '../../alipayplus/wire-schemas.ts';

export const authCodeField = z.string().min(1).max(32);
export const tokenField = z.string().min(1).max(128);
export const passThroughInfoField = z.string().min(1).max(20_000);
export const GRANT_TYPES = ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'] as const;

/** applyToken request (§3). authCode is required with AUTHORIZATION_CODE, refreshToken with REFRESH_TOKEN. */
export const applyTokenRequest = z
  .object({
    pspId,
    acquirerId,
    grantType: z.enum(GRANT_TYPES),
    authCode: optional(authCodeField),
    refreshToken: optional(tokenField),
    passThroughInfo: optional(passThroughInfoField),
  })
  .superRefine((b, ctx) => {
    if (b.grantType === 'AUTHORIZATION_CODE' && b.authCode === undefined) {
      ctx.addIssue({ code: 'custom', path: ['authCode'], message: 'missing (required with grantType AUTHORIZATION_CODE)' });
    }
    if (b.grantType === 'REFRESH_TOKEN' && b.refreshToken === undefined) {
      ctx.addIssue({ code: 'custom', path: ['refreshToken'], message: 'missing (required with grantType REFRESH_TOKEN)' });
    }
  });

/** cancelToken request (§3). */
export const cancelTokenRequest = z.object({ pspId, acquirerId, accessToken: tokenField, passThroughInfo: optional(passThroughInfoField) });

/** inquiryUserInfo request (§3). */
export const inquiryUserInfoRequest = z.object({ pspId, acquirerId, accessToken: tokenField });

/** The `result` every answer carries (§1). */
export const wireResult = z.object({
  resultCode: z.enum(Object.keys(RESULT_CATALOG) as [keyof typeof RESULT_CATALOG, ...(keyof typeof RESULT_CATALOG)[]]),
  resultStatus: z.enum(['S', 'F', 'U']),
  resultMessage: z.string(),
});

const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$/, 'ISO 8601 with an offset');

/** applyToken success answer. Failures carry `result` only. */
export const applyTokenResponse = z.object({
  result: wireResult,
  accessToken: tokenField,
  accessTokenExpiryTime: isoTime,
  refreshToken: tokenField,
  refreshTokenExpiryTime: isoTime,
  customerId: z.string().min(1).max(64),
  passThroughInfo: passThroughInfoField.optional(),
});

/** cancelToken answer: `result` only. */
export const cancelTokenResponse = z.object({ result: wireResult });

/** inquiryUserInfo success answer: `userInfo.userId` is our customerId. */
export const inquiryUserInfoResponse = z.object({
  result: wireResult,
  userInfo: z.object({ userId: z.string().min(1).max(64) }),
});

export interface AuthorizationRoutesDeps {
  readonly tokens: TokenUseCases;
  /** ALIPAYPLUS_ACQUIRER_ID: the only acquirerId we serve. */
  readonly acquirerId: string;
}

/** Our choice (see the header): another acquirer is refused like another pspId. */
export function requireOurAcquirer(given: string, ours: string): void {
  if (given !== ours) throw new DomainError('ACCESS_DENIED', 'acquirerId is not one this MPP serves');
}

/** Registers under the Alipay+ prefix: /authorizations/applyToken, /authorizations/cancelToken, /users/inquiryUserInfo. */
export async function authorizationRoutes(app: FastifyInstance, deps: AuthorizationRoutesDeps): Promise<void> {
  app.post('/authorizations/applyToken', async (req): Promise<z.infer<typeof applyTokenResponse>> => {
    const body = parseWire(applyTokenRequest, req.body);
    requireOurAcquirer(body.acquirerId, deps.acquirerId);
    const issued = await deps.tokens.applyToken(
      body.grantType === 'AUTHORIZATION_CODE'
        ? { grantType: 'AUTHORIZATION_CODE', authCode: body.authCode! }
        : { grantType: 'REFRESH_TOKEN', refreshToken: body.refreshToken! },
      body.acquirerId,
    );
    req.log.info({ customerId: issued.customerId, grantId: issued.grantId, grantType: body.grantType }, 'access token issued');
    return {
      result: result('SUCCESS'),
      accessToken: issued.accessToken,
      accessTokenExpiryTime: isoWithOffset(issued.accessTokenExpiresAt),
      refreshToken: issued.refreshToken,
      refreshTokenExpiryTime: isoWithOffset(issued.refreshTokenExpiresAt),
      customerId: issued.customerId,
      ...(body.passThroughInfo !== undefined ? { passThroughInfo: body.passThroughInfo } : {}),
    };
  });

  app.post('/authorizations/cancelToken', async (req): Promise<z.infer<typeof cancelTokenResponse>> => {
    const body = parseWire(cancelTokenRequest, req.body);
    requireOurAcquirer(body.acquirerId, deps.acquirerId);
    const { grantId } = await deps.tokens.cancelToken(body.accessToken);
    req.log.info({ grantId }, 'grant revoked');
    return { result: result('SUCCESS') };
  });

  app.post('/users/inquiryUserInfo', async (req): Promise<z.infer<typeof inquiryUserInfoResponse>> => {
    const body = parseWire(inquiryUserInfoRequest, req.body);
    requireOurAcquirer(body.acquirerId, deps.acquirerId);
    const user = await deps.tokens.inquiryUserInfo(body.accessToken);
    return { result: result('SUCCESS'), userInfo: { userId: user.userId } };
  });
}
