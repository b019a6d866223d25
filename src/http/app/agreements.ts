/**
 * App -> MPP §10 Auto Debit bindings of the logged-in customer:
 *   GET    /app/v1/agreements                 -> {result, agreements: [{agreementId, acquirerId, scopes, createdAt, unbindStatus?}]}
 *   DELETE /app/v1/agreements/{agreementId}   -> {result, agreementId, unbindStatus}
 * unbindStatus: UNBOUND (done), PENDING (consultUnbinding or authNotify will be retried), REFUSED
 * (Alipay+ did not allow it; the binding stays). Another customer's or an unknown agreement is
 * 404 AGREEMENT_NOT_EXIST.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import type { AgreementUseCases, UnbindState } from '../../domain/agreements/unbinding.ts';
import { result } from '../../domain/errors.ts';
import { parseWire } from '../validation.ts';

const params = z.object({ agreementId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -, 1 to 64') });

const statusOf = (s: UnbindState): 'UNBOUND' | 'PENDING' | 'REFUSED' => (s === 'CONSULT' || s === 'NOTIFY' ? 'PENDING' : s);

export async function agreementRoutes(app: FastifyInstance, deps: { readonly agreements: AgreementUseCases }): Promise<void> {
  app.get('/agreements', async (req) => {
    const list = await deps.agreements.list(req.customerId!);
    return {
      result: result('SUCCESS'),
      agreements: list.map((a) => ({
        agreementId: a.agreementId,
        acquirerId: a.acquirerId,
        scopes: a.scopes,
        createdAt: isoWithOffset(a.createdAt),
        ...(a.unbindState ? { unbindStatus: statusOf(a.unbindState) } : {}),
      })),
    };
  });

  app.delete('/agreements/:agreementId', async (req) => {
    const { agreementId } = parseWire(params, req.params);
    const state = await deps.agreements.unbind(req.customerId!, agreementId);
    req.log.info({ customerId: req.customerId, agreementId, unbindState: state }, 'agreement unbinding');
    return { result: result('SUCCESS'), agreementId, unbindStatus: statusOf(state) };
  });
}
