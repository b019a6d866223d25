/**
 * Alipay+ -> MPP §3 routes: applyToken, cancelToken (under /authorizations) and inquiryUserInfo
 * (under /users). The wire schemas below are the exact Alipay+ shapes (every scalar a string,
 * optional fields omitted or null, never ""), exported so the API description can be built from
 * them. A route parses, checks the acquirer, calls one use case and maps the result.
 *
 * Field limits: pspId and acquirerId at most 64, authCode at most 32 (§3), accessToken and
 * refreshToken at most 128 (§3), passThroughInfo at most 20000 (Alipay+ applyToken/cancelToken).
 *
 * acquirerId (§3 revision 2): whoever Alipay+ routes the call for (Alipay+ itself, or an acquirer
 * for cancelToken and Auto Debit applyToken). It is recorded (on the grant, and in the log line of
 * every token route), never a reason to refuse; a malformed one is F PARAM_ILLEGAL. pspId still
 * gates (the envelope answers another one F ACCESS_DENIED).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RESULT_CATALOG, result } from '../../domain/errors.ts';
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
  /** ALIPAYPLUS_ACQUIRER_ID: Alipay+'s own acquirerId; the log says whether a call came for another. */
  readonly acquirerId: string;
}

/** What the log lines of the token routes record about the acquirer (§3 revision 2: not a gate). */
const acquirerOf = (given: string, alipayPlus: string) => ({ acquirerId: given, viaAcquirer: given !== alipayPlus });

/** Registers under the Alipay+ prefix: /authorizations/applyToken, /authorizations/cancelToken, /users/inquiryUserInfo. */
export async function authorizationRoutes(app: FastifyInstance, deps: AuthorizationRoutesDeps): Promise<void> {
  app.post('/authorizations/applyToken', async (req): Promise<z.infer<typeof applyTokenResponse>> => {
    const body = parseWire(applyTokenRequest, req.body);
    const issued = await deps.tokens.applyToken(
      body.grantType === 'AUTHORIZATION_CODE'
        ? { grantType: 'AUTHORIZATION_CODE', authCode: body.authCode!, acquirerId: body.acquirerId }
        : { grantType: 'REFRESH_TOKEN', refreshToken: body.refreshToken! },
      body.acquirerId,
    );
    const acquirer = acquirerOf(body.acquirerId, deps.acquirerId);
    req.log.info({ customerId: issued.customerId, grantId: issued.grantId, grantType: body.grantType, ...acquirer }, 'access token issued');
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
    const { grantId } = await deps.tokens.cancelToken(body.accessToken);
    req.log.info({ grantId, ...acquirerOf(body.acquirerId, deps.acquirerId) }, 'grant revoked');
    return { result: result('SUCCESS') };
  });

  app.post('/users/inquiryUserInfo', async (req): Promise<z.infer<typeof inquiryUserInfoResponse>> => {
    const body = parseWire(inquiryUserInfoRequest, req.body);
    const user = await deps.tokens.inquiryUserInfo(body.accessToken);
    req.log.info({ userId: user.userId, ...acquirerOf(body.acquirerId, deps.acquirerId) }, 'user info answered');
    return { result: result('SUCCESS'), userInfo: { userId: user.userId } };
  });
}
