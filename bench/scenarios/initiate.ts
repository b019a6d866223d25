/**
 * userInitiatedPay (§8): POST /app/v1/payments/initiate with an app JWT, each request a new order
 * code. Per request the service identifies the code (1,000 rules), signs and sends userInitiatedPay
 * to the bench's fake Alipay+, verifies its signed answer and stores the order with pay's one
 * statement. Read against S (the signed floor): it adds an outbound signed round trip to it.
 */
import { appJwt, routeExists } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { VALIDATE, warmupSeconds } from '../lib/payloads.ts';

const INITIATE_PATH = '/app/v1/payments/initiate';

export const initiate: Scenario = {
  name: 'initiate',
  async run(ctx: BenchContext): Promise<Row[]> {
    const label = 'initiate (userInitiatedPay to the fake, new code each)';
    const jwt = await appJwt(ctx.customerId);
    if (!(await routeExists(ctx.service.url, INITIATE_PATH, { authorization: `Bearer ${jwt}` }))) return [notAvailable('initiate', label, 'route missing')];
    const m = await ctx.measure(
      {
        name: 'initiate',
        targets: [ctx.service.url],
        connections: ctx.options.connections,
        durationSeconds: ctx.options.durationSeconds,
        warmupSeconds: warmupSeconds(ctx),
        method: 'POST',
        path: INITIATE_PATH,
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        // The preset's DECODE prefix (§7), so every code is identified as an Alipay+ order code.
        body: { template: { codeValue: 'x' }, vary: [{ path: ['codeValue'], prefix: `https://qr.alipayplus.com/28166613${ctx.runId}i` }] },
        validate: VALIDATE,
      },
      [ctx.service.sampler],
    );
    const stats = (await (await fetch(`${ctx.fake.url}/stats`)).json()) as { userInitiatedPays?: number };
    return [loadRow('initiate', label, m, { expect: ['200 S SUCCESS'], notes: [`the fake answered ${stats.userInitiatedPays ?? 0} userInitiatedPay calls`] })];
  },
};
