/**
 * Issue 9 point 1 (a): Redis is stopped and restarted under a steady stream of pay, replayed pay,
 * inquiryPayment and top-up traffic. Redis only holds what can be lost (rate-limit counters):
 * while it is down pay and inquiry answer as usual, the ops rate limiter fails open, nothing
 * waits past Alipay+'s 8 s, and after Redis is back the service uses it again by itself.
 * The service runs in process on real HTTP, over its own Postgres and Redis (point 4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAOS_CUSTOMERS as customers, type ChaosService, startChaosService } from './chaos-service.ts';
import { checkInvariants, NO_VIOLATIONS } from './invariants.ts';
import { ALIPAYPLUS_TIMEOUT_MS, summarize, Traffic } from './traffic.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis stopped and restarted under traffic', () => {
  let chaos: ChaosService;

  beforeAll(async () => {
    chaos = await startChaosService({ poolSize: 8 });
  }, 60_000);

  afterAll(async () => chaos?.close());

  it('keeps answering pay and inquiry (never a wrong S or F), fails the rate limit open, and recovers with nothing lost', async () => {
    const traffic = new Traffic({ baseUrl: () => chaos.baseUrl, customers, concurrency: 4 });
    traffic.start();
    await sleep(1500);

    traffic.phase = 'down';
    await chaos.redis.stop();
    await sleep(3000);
    const readyWhileDown = await fetch(`${chaos.baseUrl}/readyz`);

    traffic.phase = 'after';
    await chaos.redis.start();
    // Recovers by itself: readiness sees Redis again, and the limiter counts again (its header is back).
    let recoveredInMs = -1;
    const restartedAt = Date.now();
    while (Date.now() - restartedAt < 10_000) {
      const ready = await fetch(`${chaos.baseUrl}/readyz`);
      const topUp = await traffic.topUp();
      const counted = topUp.httpStatus === 201;
      if (ready.status === 200 && counted && (await chaos.kv.redis.keys('chaos:rl:*')).length > 0) {
        recoveredInMs = Date.now() - restartedAt;
        break;
      }
      await sleep(200);
    }
    await sleep(1500);
    await traffic.stop();

    const report = summarize(traffic.answers);
    const slowest = (kind: string) =>
      Math.max(
        0,
        ...traffic
          .inPhase('down')
          .filter((a) => a.kind === kind)
          .map((a) => a.ms),
      );
    console.info('redis outage: answers', report, 'recovered in', recoveredInMs, 'ms; slowest while down (ms): pay', slowest('pay'), 'top-up', slowest('topup'));

    expect(readyWhileDown.status).toBe(503); // readiness tells the truth while Redis is away
    expect(recoveredInMs).toBeGreaterThanOrEqual(0);

    const alipayPlus = traffic.answers.filter((a) => a.kind !== 'topup');
    // Every Alipay+ call answered HTTP 200, signed, within Alipay+'s timeout.
    expect(alipayPlus.filter((a) => a.httpStatus !== 200 || !a.signed)).toEqual([]);
    expect(alipayPlus.filter((a) => a.ms >= ALIPAYPLUS_TIMEOUT_MS)).toEqual([]);
    // Never a wrong S or F: pay is U PAYMENT_IN_PROCESS (an accepted, open order) and inquiry is S
    // with the order's own U result; pay does not depend on Redis, so this holds while it is down.
    expect(alipayPlus.filter((a) => a.kind !== 'inquiry' && `${a.resultStatus} ${a.resultCode}` !== 'U PAYMENT_IN_PROCESS')).toEqual([]);
    expect(alipayPlus.filter((a) => a.kind === 'inquiry' && (a.resultStatus !== 'S' || a.paymentStatus !== 'U'))).toEqual([]);
    expect(traffic.inPhase('down').filter((a) => a.kind === 'pay').length).toBeGreaterThan(10);

    // Top-ups: the ops rate limiter fails open while Redis is down (no 429, no 5xx), promptly.
    const topUps = traffic.answers.filter((a) => a.kind === 'topup');
    expect(topUps.filter((a) => a.httpStatus !== 201 && a.httpStatus !== 200)).toEqual([]);
    expect(topUps.filter((a) => a.ms >= ALIPAYPLUS_TIMEOUT_MS)).toEqual([]);
    expect(traffic.inPhase('down').filter((a) => a.kind === 'topup').length).toBeGreaterThan(0);

    expect(await checkInvariants(chaos.database.db, traffic.answers)).toEqual(NO_VIOLATIONS);
    // Every pay sent has exactly one order (Postgres never went away).
    const orders = await chaos.database.db.selectFrom('payments').select('payment_request_id').execute();
    expect(new Set(orders.map((o) => o.payment_request_id))).toEqual(new Set(traffic.payRequestIds));
  }, 60_000);
});
