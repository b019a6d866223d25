/**
 * Issue 16 item 6: nothing grows forever. The retention job deletes, in bounded batches and
 * counted in /metrics, delivered notifications, used and expired auth codes, expired access
 * tokens, expired or revoked grants, and strips the device data (`order.env`) of old final
 * payments, each after its configured age. What is still live stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAlipayPlus, type FakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { createCustomer, opsHeaders, signedPost, type TestApp, testApp, TEST_ACQUIRER_ID, TEST_PSP_ID } from '../support/harness.ts';
import { openPayment, press, topUp } from '../support/cashier.ts';
import { agreementTokenFor, authCodeFor, cancelToken, tokensFor } from '../support/tokens.ts';
import { INQUIRY_PATH, seedPay } from '../support/payments.ts';

const DAY = 86_400_000;
let t: TestApp;
let aplus: FakeAlipayPlus;
const C = 'C_RETENTION';

beforeAll(async () => {
  aplus = await startFakeAlipayPlus();
  t = await testApp({
    env: {
      ALIPAYPLUS_BASE_URL: aplus.url,
      RETENTION_DELIVERED_NOTIFICATIONS_DAYS: '30',
      RETENTION_AUTH_CODES_DAYS: '7',
      RETENTION_TOKENS_DAYS: '30',
      RETENTION_ORDER_ENV_DAYS: '90',
      RETENTION_BATCH_SIZE: '2',
    },
    extra: { codeRulesSource: null },
  });
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '100000');
}, 30_000);
afterAll(async () => {
  await t?.close();
  await aplus?.close();
});

const db = () => t.database.db;
const retention = () => t.jobs.find((j) => j.name === 'retention')!;
const count = async (table: 'auth_codes' | 'access_tokens' | 'grants' | 'notify_outbox') =>
  Number(
    (
      await db()
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const envOf = async (paymentId: string) =>
  (await db().selectFrom('payments').select('request').where('id', '=', paymentId).executeTakeFirstOrThrow()).request as { order: { env?: unknown } };

/** Runs the job at `now` until a run finds nothing; returns the batch sizes. */
async function drain(now: Date): Promise<number[]> {
  const runs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const n = await retention().runOnce(now);
    runs.push(n);
    if (n === 0) break;
  }
  return runs;
}

describe('retention', () => {
  it('keeps everything that is still live or younger than its age, then deletes it in bounded batches, counted in /metrics', async () => {
    const ctx = { app: t.app, clock: t.clock };
    // Auth codes: one used (exchanged), one left to expire; tokens: one grant revoked, one live.
    const revoked = await tokensFor(ctx, C);
    expect((await cancelToken(ctx, revoked.accessToken)).json().result.resultStatus).toBe('S');
    await tokensFor(ctx, C);
    await authCodeFor(ctx, C);
    // A paid order with device data, its notification delivered.
    const env = { terminalType: 'APP', osType: 'IOS', userAgent: 'Mozilla/5.0 (iPhone)', deviceTokenId: 'dev-123', clientIp: '203.0.113.7' };
    const p = await openPayment(t.app, C, { order: { ...seedPay(C).order, env } });
    expect((await press(t.app, p.path, 'pay')).body).toContain('data-status="SUCCESS"');
    const dispatcher = t.jobs.find((j) => j.name.includes('notify'))!;
    await dispatcher.runOnce(new Date());
    expect(aplus.hitsFor(p.paymentId)).toHaveLength(1);
    expect((await envOf(p.paymentId)).order.env).toEqual(env);

    const before = { codes: await count('auth_codes'), tokens: await count('access_tokens'), grants: await count('grants'), outbox: await count('notify_outbox') };
    expect(before.codes).toBe(3);

    // Now: nothing is old enough (the used code, the revoked grant and the delivered row are fresh).
    expect(await drain(new Date())).toEqual([0]);
    expect(await count('auth_codes')).toBe(before.codes);

    // 8 days on: the auth codes (used, expired) go; tokens and grants are younger than 30 days.
    const runs8 = await drain(new Date(Date.now() + 8 * DAY));
    expect(runs8.every((n) => n <= 2 * 5)).toBe(true); // at most RETENTION_BATCH_SIZE per kind per run
    expect(await count('auth_codes')).toBe(0);
    expect(await count('grants')).toBe(before.grants);

    // 40 days on: expired access tokens, the revoked grant and the delivered notification go;
    // the live grant (refresh valid for years) stays; order.env is younger than 90 days.
    await drain(new Date(Date.now() + 40 * DAY));
    expect(await count('access_tokens')).toBe(0);
    expect(await count('grants')).toBe(before.grants - 1);
    expect(await count('notify_outbox')).toBe(0);
    expect((await envOf(p.paymentId)).order.env).toEqual(env);

    // 91 days on: the device data of the final payment is gone; the payment itself and its inquiry stay.
    await drain(new Date(Date.now() + 91 * DAY));
    expect((await envOf(p.paymentId)).order.env).toBeUndefined();
    const inquiry = (await signedPost(t.app, INQUIRY_PATH, { pspId: TEST_PSP_ID, acquirerId: TEST_ACQUIRER_ID, paymentRequestId: p.paymentRequestId })).json();
    expect(inquiry.paymentResult.resultCode).toBe('SUCCESS');

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics', headers: opsHeaders() })).body;
    for (const kind of ['auth_codes', 'access_tokens', 'grants', 'delivered_notifications', 'order_env']) {
      expect(metrics).toMatch(new RegExp(`mpp_retention_deleted_total\\{kind="${kind}"\\} [1-9]`));
    }
  }, 60_000);

  it('works in bounded batches: at most RETENTION_BATCH_SIZE of a kind per run', async () => {
    const ctx = { app: t.app, clock: t.clock };
    for (let i = 0; i < 5; i++) await authCodeFor(ctx, C);
    const first = await retention().runOnce(new Date(Date.now() + 8 * DAY));
    expect(first).toBe(2);
    expect(await count('auth_codes')).toBe(3);
  });

  it('deletes a §10 agreement (its sealed live token) with its ended grant, never one whose unbinding is still due', async () => {
    const ctx = { app: t.app, clock: t.clock };
    const A = 'C_RETENTION_AGREEMENTS';
    await createCustomer(t.app, A, 'KRW');
    const cancelled = await agreementTokenFor(ctx, A);
    await agreementTokenFor(ctx, A);
    // One ended by Alipay+ (cancelToken revokes its grant); the other revoked by our unbinding,
    // whose authNotify is still due (NOTIFY: the outbox needs the row and its sealed token).
    expect((await cancelToken(ctx, cancelled)).json().result.resultStatus).toBe('S');
    const rows = () =>
      db()
        .selectFrom('agreements as a')
        .innerJoin('grants as g', 'g.id', 'a.grant_id')
        .select(['a.grant_id', 'g.revoked_at', 'a.unbind_state'])
        .where('a.customer_id', '=', A)
        .execute();
    const [ended, pending] = [...(await rows())].sort((x, y) => Number(y.revoked_at !== null) - Number(x.revoked_at !== null));
    expect(ended!.revoked_at).not.toBeNull();
    await db().updateTable('grants').set({ revoked_at: new Date() }).where('id', '=', pending!.grant_id).execute();
    await db().updateTable('agreements').set({ unbind_state: 'NOTIFY', unbind_next_attempt_at: new Date() }).where('grant_id', '=', pending!.grant_id).execute();
    const grantIds = async () => (await db().selectFrom('grants').select('id').where('customer_id', '=', A).execute()).map((g) => g.id);

    await drain(new Date(Date.now() + 40 * DAY));
    expect((await rows()).map((r) => r.grant_id)).toEqual([pending!.grant_id]);
    expect(await grantIds()).toEqual([pending!.grant_id]);

    // Once the unbinding is done (UNBOUND), the row and its grant go too.
    await db().updateTable('agreements').set({ unbind_state: 'UNBOUND', unbind_next_attempt_at: null }).where('grant_id', '=', pending!.grant_id).execute();
    await drain(new Date(Date.now() + 40 * DAY));
    expect(await rows()).toEqual([]);
    expect(await grantIds()).toEqual([]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics', headers: opsHeaders() })).body;
    expect(metrics).toMatch(/mpp_retention_deleted_total\{kind="agreements"\} 2/);
  });
});
