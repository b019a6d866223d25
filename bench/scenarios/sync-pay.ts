/**
 * The synchronous pays (§9 payment code, §10 Auto Debit): signed pay requests, each a new
 * paymentRequestId, that debit the wallet at once and answer S SUCCESS (no cashier). Reported
 * against S (the signed floor) like every scenario, to compare with the cashier pay's ratio: a
 * synchronous pay is one transaction (the paid-order statement plus the ledger debit) where the
 * cashier's accepted order is one statement.
 *
 * Before the timed run every bench customer is topped up with enough for the whole run, and for
 * Auto Debit each one binds an agreement (an AGREEMENT_PAY auth code exchanged by applyToken).
 */
import { randomUUID } from 'node:crypto';
import { appJwt, appPost, mapConcurrently, opsHeaders, routeExists, signedPost } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { APPLY_TOKEN_PATH, PAY_PATH, payBody, presignCount, signedAsAlipayPlus, VALIDATE, warmupSeconds } from '../lib/payloads.ts';
import { BENCH_ACQUIRER_ID, BENCH_PSP_ID } from '../lib/service.ts';

const PAID = ['200 S SUCCESS'];
/** KRW per customer: the seed pay takes KRW 1000, so this covers a million pays each. */
const TOP_UP = '1000000000';

async function topUpAll(ctx: BenchContext): Promise<string | undefined> {
  const key = `bench-topups-${ctx.runId}`;
  if (ctx.facts.has(key)) return undefined;
  const answers = await mapConcurrently(ctx.customerIds, 8, async (customerId) => {
    const res = await fetch(`${ctx.service.url}/ops/v1/customers/${customerId}/topUps`, {
      method: 'POST',
      headers: { ...opsHeaders, 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: { currency: 'KRW', value: TOP_UP }, reason: 'bench seed' }),
    });
    return res.status;
  });
  const bad = answers.find((s) => s < 200 || s > 299);
  if (bad !== undefined) return `top-up answered HTTP ${bad}`;
  ctx.facts.set(key, 'done');
  return undefined;
}

function syncPayScenario(name: 'pay-code' | 'pay-agreement'): Scenario {
  return {
    name,
    async run(ctx: BenchContext): Promise<Row[]> {
      const label = name === 'pay-code' ? 'pay, payment code (debit at once)' : 'pay, Auto Debit agreement (debit at once)';
      if (!(await routeExists(ctx.service.url, PAY_PATH))) return [notAvailable(name, label, 'route missing')];
      const topped = await topUpAll(ctx);
      if (topped) return [notAvailable(name, label, topped)];
      const template = payBody('x', ctx.customerId);
      let methodIds: readonly string[] = ctx.customerIds.map((c) => `code-${c}`);
      if (name === 'pay-code') {
        template.paymentFactor = { isInStorePayment: 'true', isCashierPayment: 'false', inStorePaymentScenario: 'PaymentCode' };
      } else {
        template.paymentFactor = { isInStorePayment: 'false', isCashierPayment: 'false', isAgreementPayment: 'true' };
        const tokens = await mapConcurrently(ctx.customerIds, 8, async (customerId) => {
          const code = await appPost(ctx.service.url, '/app/v1/authCodes', await appJwt(customerId), { scopes: ['AGREEMENT_PAY'] });
          const applied = await signedPost(ctx.service.url, APPLY_TOKEN_PATH, {
            pspId: BENCH_PSP_ID,
            acquirerId: BENCH_ACQUIRER_ID,
            grantType: 'AUTHORIZATION_CODE',
            authCode: code.body.authCode,
          });
          return typeof applied.body.accessToken === 'string' ? applied.body.accessToken : `!${applied.status} ${applied.text.slice(0, 200)}`;
        });
        const failed = tokens.find((t) => t.startsWith('!'));
        if (failed) return [notAvailable(name, label, `no agreement bound: ${failed}`)];
        methodIds = tokens;
      }
      const seconds = ctx.options.durationSeconds;
      const warmup = warmupSeconds(ctx);
      const m = await ctx.measure(
        {
          name,
          targets: [ctx.service.url],
          connections: ctx.options.connections,
          durationSeconds: seconds,
          warmupSeconds: warmup,
          method: 'POST',
          path: PAY_PATH,
          body: {
            template,
            vary: [
              { path: ['paymentRequestId'], prefix: `${ctx.runId}-${name}-` },
              // Index i takes customer i and its own code / token (same length, same index).
              { path: ['paymentMethod', 'customerId'], values: ctx.customerIds },
              { path: ['paymentMethod', 'paymentMethodId'], values: methodIds },
            ],
          },
          signing: signedAsAlipayPlus,
          presign: presignCount(ctx, seconds, warmup),
          refill: false,
          validate: VALIDATE,
        },
        [ctx.service.sampler],
      );
      return [loadRow(name, label, m, { expect: PAID })];
    },
  };
}

export const payCode = syncPayScenario('pay-code');
export const payAgreement = syncPayScenario('pay-agreement');
