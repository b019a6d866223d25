/**
 * Ops: top up a customer's wallet (`POST /ops/v1/customers/{customerId}/topUps`). Issue 16: an
 * Idempotency-Key and a reason are required; the ops token's label and the reason are recorded
 * with the transfer; TOP_UP_MAX_AMOUNTS caps one top-up per currency.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ParamIllegal, result } from '../../domain/errors.ts';
import { requireAmount } from '../../domain/money.ts';
import type { LedgerTransfer } from '../../domain/wallet/ledger.ts';
import type { WalletUseCases } from '../../domain/wallet/use-cases.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';
import { toWireAmount } from '../../alipayplus/wire-schemas.ts';
import { parseWire } from '../validation.ts';

/** A caller's idempotency key: printable ASCII without spaces, bounded. */
const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,128}$/, '1 to 128 printable characters, no spaces');
const params = z.object({ customerId: z.string().min(1).max(64) });
const topUpBody = z.object({
  amount: z.unknown(),
  idempotencyKey: idempotencyKey.optional(),
  // Issue 16: why money is created, recorded with who did it.
  reason: z.string().trim().min(1, 'is required: why this top-up is made').max(256),
});
const headers = z.object({ 'idempotency-key': idempotencyKey.optional() });

function topUpView(t: LedgerTransfer) {
  const leg = t.legs.find((l) => l.account.kind === 'CUSTOMER_WALLET');
  return {
    transferId: t.id,
    kind: t.kind,
    reference: t.reference,
    amount: leg ? toWireAmount(leg.amount) : undefined,
    createdAt: isoWithOffset(t.createdAt),
  };
}

export async function walletRoutes(app: FastifyInstance, deps: { wallet: WalletUseCases }): Promise<void> {
  app.post('/customers/:customerId/topUps', async (req, reply) => {
    const { customerId } = parseWire(params, req.params);
    const body = parseWire(topUpBody, req.body ?? {});
    const header = parseWire(headers, req.headers)['idempotency-key'];
    if (header !== undefined && body.idempotencyKey !== undefined && header !== body.idempotencyKey) {
      throw new ParamIllegal('idempotencyKey', 'differs from the Idempotency-Key header');
    }
    const key = header ?? body.idempotencyKey;
    // Issue 16: a retry after a timeout must not credit twice, so the caller names the top-up.
    if (key === undefined) throw new ParamIllegal('Idempotency-Key', 'is required (header, or idempotencyKey in the body)');
    const amount = requireAmount(body.amount, 'amount');
    const r = await deps.wallet.topUp({ customerId, amount, idempotencyKey: key, audit: { actor: req.opsActor ?? 'ops', reason: body.reason } });
    req.log.info({ customerId, transferId: r.transfer.id, replayed: r.replayed }, 'wallet topped up');
    return reply.code(r.replayed ? 200 : 201).send({
      result: result('SUCCESS'),
      topUp: topUpView(r.transfer),
      balance: toWireAmount(r.balance),
      replayed: r.replayed,
    });
  });
}
