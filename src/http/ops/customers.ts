/** Ops: create, freeze/unfreeze and read customers. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Customer } from '../../domain/customers/customer.ts';
import { CustomerExists, type CustomerUseCases } from '../../domain/customers/use-cases.ts';
import { result } from '../../domain/errors.ts';
import { parseWire } from '../validation.ts';
import type { TopUpRecord } from '../../domain/wallet/ports.ts';
import { isoWithOffset } from '../../alipayplus/wire-time.ts';

const createBody = z.object({
  customerId: z.string().min(1).max(64).optional(),
  currency: z.string().length(3),
  status: z.enum(['NORMAL', 'FROZEN']).optional(),
});
const patchBody = z.object({ status: z.enum(['NORMAL', 'FROZEN']) });
const params = z.object({ customerId: z.string().min(1).max(64) });

export interface CustomerView {
  customerId: string;
  status: string;
  currency: string;
  createdAt: string;
  balance?: { currency: string; value: string };
  /** Issue 16: the latest top-ups, newest first: who (ops token label), why, with which key. */
  topUps?: { transferId: string; amount: { currency: string; value: string }; by: string; reason: string; idempotencyKey: string; createdAt: string }[];
}

export function customerView(c: Customer): CustomerView {
  return { customerId: c.id, status: c.status, currency: c.currency, createdAt: isoWithOffset(c.createdAt) };
}

export interface CustomerRoutesDeps {
  readonly customers: CustomerUseCases;
  /** The wallet balance in minor units, when the ledger is wired. */
  readonly balanceOf?: (customerId: string, currency: string) => Promise<bigint>;
  /** The customer's top-ups, newest first, when the audit is wired. */
  readonly topUpHistory?: (customerId: string, limit: number) => Promise<readonly TopUpRecord[]>;
}

/** How many top-ups GET customer shows. */
const TOP_UP_HISTORY_LIMIT = 50;

export async function customerRoutes(app: FastifyInstance, deps: CustomerRoutesDeps): Promise<void> {
  const withBalance = async (c: Customer): Promise<CustomerView> => {
    const v = customerView(c);
    if (deps.balanceOf) v.balance = { currency: c.currency, value: (await deps.balanceOf(c.id, c.currency)).toString() };
    return v;
  };
  const withHistory = async (c: Customer): Promise<CustomerView> => {
    const v = await withBalance(c);
    if (deps.topUpHistory) {
      v.topUps = (await deps.topUpHistory(c.id, TOP_UP_HISTORY_LIMIT)).map((t) => ({
        transferId: t.transferId,
        amount: { currency: t.amount.currency, value: t.amount.valueMinor.toString() },
        by: t.actor,
        reason: t.reason,
        idempotencyKey: t.idempotencyKey,
        createdAt: isoWithOffset(t.createdAt),
      }));
    }
    return v;
  };

  app.post('/customers', async (req, reply) => {
    const body = parseWire(createBody, req.body);
    try {
      const c = await deps.customers.create(body);
      req.log.info({ customerId: c.id }, 'customer created');
      return reply.code(201).send({ result: result('SUCCESS'), customer: await withBalance(c) });
    } catch (err) {
      if (err instanceof CustomerExists) {
        return reply.code(409).send({ result: result('PARAM_ILLEGAL', `customer ${err.customerId} already exists`) });
      }
      throw err;
    }
  });

  app.get('/customers/:customerId', async (req) => {
    const { customerId } = parseWire(params, req.params);
    return { result: result('SUCCESS'), customer: await withHistory(await deps.customers.get(customerId)) };
  });

  app.patch('/customers/:customerId', async (req) => {
    const { customerId } = parseWire(params, req.params);
    const { status } = parseWire(patchBody, req.body);
    const c = await deps.customers.setStatus(customerId, status);
    req.log.info({ customerId, status }, 'customer status changed');
    return { result: result('SUCCESS'), customer: await withBalance(c) };
  });
}
