/**
 * App -> MPP code identification (§6, seed step 3): `POST /app/v1/codes/identify {codeValue}`.
 * Answers `{result, source, isAcCode, postCodeMatchActionType?, acDecodeConfig?, redirectUrl?,
 * userAgent?}`. A blank code or one over 8192 characters is 400 F PARAM_ILLEGAL.
 *
 * A blocklisted code (mode BLOCKLIST) is answered S with source BLOCKLIST and isAcCode false (our
 * choice): identification succeeded and found the code refused, the app shows "invalid code" as
 * it does for any isAcCode false; F is kept for a request that could not be identified at all.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CodeIdentificationUseCase } from '../../domain/codes/use-cases.ts';
import { result } from '../../domain/errors.ts';
import { parseWire } from '../validation.ts';
import { type OutboundUrlPolicy, outboundUrlProblem } from '../../domain/outbound-url.ts';

// Length and blankness are the domain's rule (InvalidCodeValue); the body limit bounds the rest.
const identifyBody = z.object({ codeValue: z.string() });

export interface CodeRoutesDeps {
  readonly codes: CodeIdentificationUseCase;
  /** Issue 16: what a redirectUrl handed to the app must be (https, not internal). Absent: no check. */
  readonly redirectUrlPolicy?: OutboundUrlPolicy;
}

export async function codeRoutes(app: FastifyInstance, deps: CodeRoutesDeps): Promise<void> {
  app.post('/codes/identify', async (req) => {
    const { codeValue } = parseWire(identifyBody, req.body);
    let identified = await deps.codes.identify(codeValue);
    // A rule's URL the policy refuses is never handed to the app: the code is answered as not
    // Alipay+'s (the app shows "invalid code"), and the refusal is logged (issue 16).
    const refused = identified.redirectUrl && deps.redirectUrlPolicy ? outboundUrlProblem(identified.redirectUrl, deps.redirectUrlPolicy) : undefined;
    if (refused) {
      req.log.warn({ source: identified.source, reason: refused }, 'code rule URL refused; not handed to the app');
      identified = { source: identified.source, isAcCode: false };
    }
    // Never the code value itself in logs: only what it was identified as.
    req.log.debug({ source: identified.source, isAcCode: identified.isAcCode, codeLength: codeValue.length }, 'code identified');
    return { result: result('SUCCESS'), ...identified };
  });
}
