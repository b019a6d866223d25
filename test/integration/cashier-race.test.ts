/**
 * §5 "exactly one of confirm / cancel / expiry wins, whatever the timing": the cashier's Pay and
 * Cancel, Alipay+'s cancelPayment and the expiry sweeper race on the same order, round after
 * round, against the real Postgres (serialised on PGlite, where it still must hold).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { balanceOf, CANCEL_PATH, cancelBody, openAsPayer, openPayment, topUp } from '../support/cashier.ts';

const C = 'C_RACE';
const ROUNDS = 20;
let t: TestApp;

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, String(1000 * ROUNDS));
});
afterAll(async () => t.close());

const form = (path: string, action: string, csrf: string, cookie: string) =>
  t.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    payload: `action=${action}&csrf=${encodeURIComponent(csrf)}`,
  });

it('only one of cashier Pay, cashier Cancel, cancelPayment and the sweeper moves an order out of PROCESSING', async () => {
  const sweeper = t.jobs.find((j) => j.name === 'expiry-sweeper')!;
  // Who moved the order out of PROCESSING, by the history row's (to_status, reason).
  const WINNERS: Record<string, string> = {
    'SUCCESS/USER_CONFIRMED': 'cashier Pay',
    'CLOSED/USER_CANCELLED': 'cashier Cancel',
    'CLOSED/CANCEL_PAYMENT': 'cancelPayment',
    'CLOSED/EXPIRED': 'sweeper',
  };
  let debitedNet = 0n;
  for (let round = 0; round < ROUNDS; round++) {
    const before = await balanceOf(t.app, C);
    const p = await openPayment(t.app, C);
    const { csrf, cookie } = await openAsPayer(t.app, p.path);
    const racers = [
      () => form(p.path, 'pay', csrf, cookie),
      () => form(p.path, 'cancel', csrf, cookie),
      () => signedPost(t.app, CANCEL_PATH, cancelBody(p.paymentRequestId)),
      () => sweeper.runOnce(new Date(Date.now() + 200_000)),
    ];
    // Vary who starts first from round to round.
    const order = racers.map((_, i) => racers[(i + round) % racers.length]!);
    const answers = await Promise.all(order.map((run) => run()));
    for (const a of answers) if (typeof a === 'object' && a && 'statusCode' in a) expect(a.statusCode).toBeLessThan(500);

    const db = t.database.db;
    const payment = await db.selectFrom('payments').select(['status']).where('id', '=', p.paymentId).executeTakeFirstOrThrow();
    const leftProcessing = await db
      .selectFrom('payment_status_history')
      .select(['to_status', 'reason'])
      .where('payment_id', '=', p.paymentId)
      .where('from_status', '=', 'PROCESSING')
      .execute();
    expect(leftProcessing).toHaveLength(1);
    const exit = `${leftProcessing[0]!.to_status}/${leftProcessing[0]!.reason}`;
    const winner = WINNERS[exit];
    expect(winner, `exit ${exit}`).toBeDefined();
    // The final state follows from the winner: only a paid order can change again (cancelPayment
    // after Pay: CANCELLED with a reversal); a closed one stays closed.
    if (winner === 'cashier Pay') expect(['SUCCESS', 'CANCELLED']).toContain(payment.status);
    else expect(payment.status).toBe('CLOSED');
    const transfers = await sql<{ kind: string; n: bigint }>`
      select kind, count(*)::int8 as n from ledger_transfers where payment_id = ${p.paymentId} group by kind`.execute(db);
    const count = (kind: string) => Number(transfers.rows.find((r) => r.kind === kind)?.n ?? 0n);
    const expected = { SUCCESS: [1, 0], CANCELLED: [1, 1], CLOSED: [0, 0] }[payment.status as 'SUCCESS' | 'CANCELLED' | 'CLOSED'];
    expect(expected, `final status ${payment.status}`).toBeDefined();
    expect([count('PAYMENT'), count('REVERSAL')]).toEqual(expected);
    // The money: debited exactly when the order ends paid, and the debit is the payment's amount.
    const debited = payment.status === 'SUCCESS' ? 1000n : 0n;
    expect(await balanceOf(t.app, C)).toBe(before - debited);
    debitedNet += debited;
    const outbox = await db.selectFrom('notify_outbox').select('id').where('payment_id', '=', p.paymentId).execute();
    expect(outbox).toHaveLength(1);
  }
  expect(await balanceOf(t.app, C)).toBe(1000n * BigInt(ROUNDS) - debitedNet);
}, 60_000);
