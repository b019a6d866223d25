import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AlipayPlusClient, createAlipayPlusClient } from '../../src/alipayplus/client.ts';
import type { CurrencyCode } from '../../src/domain/money.ts';
import { notificationOf } from '../../src/domain/payments/notify.ts';
import type { FinalPayment, PaymentPromoInfo } from '../../src/domain/payments/payment.ts';
import { loadPrivateKey } from '../../src/alipayplus/signature.ts';
import { notifyDispatcher, type NotifyDispatcherOptions } from '../../src/jobs/notify-dispatcher.ts';
import type { DatabaseHandle } from '../../src/persistence/database.ts';
import { claimDueNotifications, notificationQueue, notifyOutbox, outboxBacklog, recordNotificationOutcome } from '../../src/persistence/notify-outbox-repository.ts';
import type { Database } from '../../src/persistence/schema.ts';
import { type FakeAlipayPlus, startFakeAlipayPlus } from '../support/fake-alipayplus.ts';
import { attachDatabase, FakeClock, realPostgres, TEST_CLIENT_ID, type TestDatabase, testDatabase, testKeys } from '../support/harness.ts';

const t0 = new Date('2025-05-01T00:00:00Z');
const mppPrivateKey = loadPrivateKey(testKeys.mppPrivatePem);

let database: TestDatabase;
let fake: FakeAlipayPlus | undefined;
let seq = 0;
const db = () => database.db;

beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});
// Each scenario starts with an empty outbox: a row another scenario left pending would be due too.
beforeEach(async () => {
  await db().deleteFrom('notify_outbox').execute();
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function client(baseUrl: string | undefined, clock: FakeClock, timeoutMs?: number): AlipayPlusClient {
  return createAlipayPlusClient({
    baseUrl,
    clientId: TEST_CLIENT_ID,
    mppPrivateKey,
    mppKeyVersion: '1',
    alipayPlusPublicKeys: new Map([['1', testKeys.aplusPublic]]),
    now: () => clock.now(),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

function dispatcher(c: AlipayPlusClient, extra: Partial<NotifyDispatcherOptions> = {}, on: Kysely<Database> = db()) {
  // The longest full-jitter wait, so the schedule is predictable.
  return notifyDispatcher({ queue: notificationQueue(on), client: c, random: () => 0.999, ...extra });
}

/** A payment that has just succeeded, as the repository hands it to the outbox. */
function succeeded(paymentId: string, at: Date, paymentNotifyUrl?: string): FinalPayment {
  return {
    paymentId,
    pspId: 'PSP1',
    paymentRequestId: `REQ${seq}`,
    customerId: 'C1',
    status: 'SUCCESS',
    resultCode: 'SUCCESS',
    paymentAmount: { currency: 'JPY' as CurrencyCode, valueMinor: 100n },
    payToAmount: { currency: 'KRW' as CurrencyCode, valueMinor: 1000n },
    paymentTime: at,
    paymentNotifyUrl,
    paymentPromoInfo: undefined,
  };
}

/** Queues a final-state notification as the cashier would, in a transaction. */
async function enqueue(at: Date, o: { paymentNotifyUrl?: string } = {}): Promise<string> {
  const paymentId = `PAY${++seq}`;
  await db()
    .transaction()
    .execute((trx) => notifyOutbox(trx).queue([succeeded(paymentId, at, o.paymentNotifyUrl)], at));
  return paymentId;
}

const row = (paymentId: string) => db().selectFrom('notify_outbox').selectAll().where('payment_id', '=', paymentId).executeTakeFirstOrThrow();

/** Runs until a batch finds nothing due at `now`. */
async function drain(run: (now: Date) => Promise<number>, now: Date): Promise<void> {
  for (let i = 0; i < 50 && (await run(now)) > 0; i++);
}

describe('notify dispatcher', () => {
  it('queues a batch exactly as notificationOf builds it: bodies with quotes, backslashes, braces and non-ASCII, with and without a notify URL', async () => {
    const at = new Date('2025-05-01T00:00:00.123Z');
    const promo = (promoName: string): PaymentPromoInfo => ({
      paymentPromoDetails: [{ promoId: 'P1', promoName, savingsAmount: { currency: 'JPY', value: '10' } }],
    });
    const payments: FinalPayment[] = [
      { ...succeeded(`PAY${++seq}`, at, 'https://notify.example/cb?a=1&b="2"'), paymentPromoInfo: promo('quote " backslash \\ braces {a,b} comma, 한국어 \u0001') },
      succeeded(`PAY${++seq}`, at),
      { ...succeeded(`PAY${++seq}`, at), paymentPromoInfo: promo('NULL') },
    ];
    await db()
      .transaction()
      .execute((trx) => notifyOutbox(trx).queue(payments, at));
    for (const p of payments) {
      const expected = notificationOf(p, at);
      const r = await row(p.paymentId);
      expect(r.body).toBe(expected.body);
      expect(r.url).toBe(expected.url ?? null);
      expect(r.next_attempt_at).toEqual(at);
      expect(r.created_at).toEqual(at);
    }
    // Queued again (a lazy close racing the sweeper): the row already there is kept as it is.
    await db()
      .transaction()
      .execute((trx) => notifyOutbox(trx).queue([{ ...payments[1]!, paymentPromoInfo: promo('later') }], new Date(at.getTime() + 1000)));
    expect((await row(payments[1]!.paymentId)).body).toBe(notificationOf(payments[1]!, at).body);
  });

  it('delivers a notification once, signed, with the body queued at the state change', async () => {
    fake = await startFakeAlipayPlus();
    const clock = new FakeClock(t0);
    const id = await enqueue(t0);
    const d = dispatcher(client(fake.url, clock));
    expect(await d.runOnce(t0)).toBe(1);
    expect(await d.runOnce(new Date(t0.getTime() + 3_600_000))).toBe(0);

    const hits = fake.hitsFor(id);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.path).toBe('/aps/api/v1/payments/notifyPayment');
    expect(hits[0]!.signatureValid).toBe(true);
    const r = await row(id);
    expect(hits[0]!.raw).toBe(r.body);
    expect(hits[0]!.body).toMatchObject({
      paymentResult: { resultCode: 'SUCCESS', resultStatus: 'S' },
      paymentId: id,
      paymentTime: '2025-05-01T00:00:00+00:00',
      payToAmount: { currency: 'KRW', value: '1000' },
    });
    expect(r.delivered_at).toEqual(t0);
    expect(r.attempts).toBe(1);
  });

  it('retries with backoff and delivers on the third attempt when the receiver fails twice', async () => {
    fake = await startFakeAlipayPlus({ failTimes: 2 });
    const clock = new FakeClock(t0);
    const id = await enqueue(t0);
    const d = dispatcher(client(fake.url, clock));
    const at = (ms: number) => new Date(t0.getTime() + ms);

    expect(await d.runOnce(at(0))).toBe(1); // HTTP 500
    let r = await row(id);
    expect(r.delivered_at).toBeNull();
    expect(r.last_error).toBe('HTTP 500');
    expect(r.next_attempt_at.getTime() - t0.getTime()).toBeGreaterThan(4_900); // up to base 5 s
    expect(r.next_attempt_at.getTime() - t0.getTime()).toBeLessThanOrEqual(5_000);

    expect(await d.runOnce(at(1_000))).toBe(0); // not due yet
    expect(await d.runOnce(at(5_000))).toBe(1); // HTTP 500 again
    r = await row(id);
    expect(r.next_attempt_at.getTime() - at(5_000).getTime()).toBeGreaterThan(9_900); // up to 2 x base
    expect(r.next_attempt_at.getTime() - at(5_000).getTime()).toBeLessThanOrEqual(10_000);

    expect(await d.runOnce(at(15_000))).toBe(1);
    r = await row(id);
    expect(r.delivered_at).toEqual(at(15_000));
    expect(r.attempts).toBe(3);
    expect(fake.hitsFor(id)).toHaveLength(3);
  });

  it('does not count an answer other than S as delivered', async () => {
    fake = await startFakeAlipayPlus({ failTimes: 1, failWith: 'result-U' });
    const clock = new FakeClock(t0);
    const id = await enqueue(t0);
    const d = dispatcher(client(fake.url, clock));
    await d.runOnce(t0);
    expect((await row(id)).last_error).toBe('answered U UNKNOWN_EXCEPTION');
    expect((await row(id)).delivered_at).toBeNull();
    await d.runOnce(new Date(t0.getTime() + 5_000));
    expect((await row(id)).delivered_at).not.toBeNull();
  });

  it('does not count an answer with a bad signature as delivered', async () => {
    fake = await startFakeAlipayPlus({ badSignature: true });
    const clock = new FakeClock(t0);
    const id = await enqueue(t0);
    const d = dispatcher(client(fake.url, clock));
    expect(await d.runOnce(t0)).toBe(1);
    const r = await row(id);
    expect(r.delivered_at).toBeNull();
    expect(r.last_error).toMatch(/not signed by Alipay\+/);
    expect(fake.hitsFor(id)).toHaveLength(1);

    fake.setOptions({});
    expect(await d.runOnce(new Date(t0.getTime() + 5_000))).toBe(1);
    expect((await row(id)).delivered_at).not.toBeNull();
  });

  it('retries a receiver that does not answer within the timeout', async () => {
    fake = await startFakeAlipayPlus({ delayMs: 400 });
    const clock = new FakeClock(t0);
    const id = await enqueue(t0);
    await dispatcher(client(fake.url, clock, 100)).runOnce(t0);
    const r = await row(id);
    expect(r.delivered_at).toBeNull();
    expect(r.last_error).toBe('timed out');
  });

  it('sends to the payment notify URL when the payment gave one', async () => {
    fake = await startFakeAlipayPlus();
    const clock = new FakeClock(t0);
    const id = await enqueue(t0, { paymentNotifyUrl: `${fake.url}/merchant/notify?src=aps` });
    await dispatcher(client(undefined, clock)).runOnce(t0);
    expect(fake.hitsFor(id).map((h) => [h.path, h.signatureValid])).toEqual([['/merchant/notify', true]]);
    expect((await row(id)).delivered_at).not.toBeNull();
  });

  it('keeps notifications queued while no Alipay+ URL is configured, and sends them once it is', async () => {
    fake = await startFakeAlipayPlus();
    const clock = new FakeClock(t0);
    const id = await enqueue(t0);
    expect(await dispatcher(client(undefined, clock)).runOnce(t0)).toBe(0);
    expect((await row(id)).attempts).toBe(0);
    // A restart with ALIPAYPLUS_BASE_URL set: a new instance finds the row where it was.
    await drain((now) => dispatcher(client(fake!.url, clock)).runOnce(now), t0);
    expect((await row(id)).delivered_at).toEqual(t0);
    expect(fake.hitsFor(id)).toHaveLength(1);
  });

  it('picks up after a restart: pending rows, and rows whose sender died holding the lease', async () => {
    fake = await startFakeAlipayPlus({ failTimes: 100 });
    const clock = new FakeClock(t0);
    const failed = await enqueue(t0);
    await dispatcher(client(fake.url, clock)).runOnce(t0);
    expect((await row(failed)).delivered_at).toBeNull();

    // Another instance claims a row, then dies before sending or recording anything.
    const orphan = await enqueue(t0);
    const [claimed] = await claimDueNotifications(db(), { now: t0, limit: 1, leaseMs: 60_000, defaultEndpoint: true });
    expect(claimed?.paymentId).toBe(orphan);

    fake.setOptions({});
    const restarted = dispatcher(client(fake.url, clock));
    expect(await restarted.runOnce(new Date(t0.getTime() + 30_000))).toBe(1); // the failed one; the orphan is still leased
    expect(await restarted.runOnce(new Date(t0.getTime() + 60_000))).toBe(1); // lease over: the orphan
    expect((await row(failed)).delivered_at).not.toBeNull();
    expect((await row(orphan)).delivered_at).not.toBeNull();
    expect(fake.hitsFor(orphan)).toHaveLength(1);
    // The dead instance's late outcome is fenced off: it cannot undo the delivery.
    const late = await recordNotificationOutcome(db(), claimed!, { kind: 'retry', at: t0, nextAttemptAt: t0, error: 'late' });
    expect(late).toBe(false);
    expect((await row(orphan)).last_error).toBeNull();
  });

  it('gives up after seven days of failures and keeps the row visible', async () => {
    fake = await startFakeAlipayPlus({ failTimes: 1_000 });
    const clock = new FakeClock(t0);
    const id = await enqueue(t0);
    const d = dispatcher(client(fake.url, clock));
    await d.runOnce(t0);
    const week = new Date(t0.getTime() + 7 * 24 * 3_600_000);
    await d.runOnce(week);
    const r = await row(id);
    expect(r.failed_at).toEqual(week);
    expect(r.delivered_at).toBeNull();
    expect(r.last_error).toBe('HTTP 500');
    expect(await d.runOnce(new Date(week.getTime() + 3_600_000))).toBe(0);
    expect(await outboxBacklog(db())).toEqual({ pending: 0, oldestPendingCreatedAt: undefined, failed: 1 });
  });

  it('queues one notification per payment', async () => {
    const id = await enqueue(t0);
    const first = (await row(id)).body;
    await db()
      .transaction()
      .execute((trx) => notifyOutbox(trx).queue([{ ...succeeded(id, t0), paymentTime: new Date(t0.getTime() + 60_000) }], t0));
    expect((await row(id)).body).toBe(first);
    expect(await db().selectFrom('notify_outbox').select('id').where('payment_id', '=', id).execute()).toHaveLength(1);
  });
});

describe('notify dispatcher on two instances', () => {
  let second: DatabaseHandle | undefined;
  afterAll(async () => {
    await second?.close();
  });

  it('delivers each row exactly once when two dispatchers run concurrently', async () => {
    fake = await startFakeAlipayPlus({ delayMs: 20 });
    const clock = new FakeClock(t0);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await enqueue(t0));
    // On the real Postgres each dispatcher has its own pool, like two service instances.
    second = realPostgres ? attachDatabase(database.schema) : undefined;
    const a = dispatcher(client(fake.url, clock), { batchSize: 7 });
    const b = dispatcher(client(fake.url, clock), { batchSize: 7 }, second?.db ?? db());
    let claimed = 0;
    for (let round = 0; round < 20; round++) {
      const [x, y] = await Promise.all([a.runOnce(t0), b.runOnce(t0)]);
      claimed += x + y;
      if (x + y === 0) break;
    }
    expect(claimed).toBe(30);
    for (const id of ids) expect(fake.hitsFor(id), id).toHaveLength(1);
    const delivered = await db().selectFrom('notify_outbox').select('payment_id').where('payment_id', 'in', ids).where('delivered_at', 'is not', null).execute();
    expect(delivered).toHaveLength(30);
  });
});
