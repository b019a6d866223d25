/**
 * §2 and §5 revision 2, through the signed routes and the cashier:
 * - surchargeAmount is the whole amount the user pays (not an extra on top of payToAmount): the
 *   wallet is debited surchargeAmount, SETTLEMENT owes Alipay+ payToAmount, the difference is
 *   surcharge income, in one transfer; refunds give the user refundFromAmount;
 * - Alipay+'s payToAmount / refundFromAmount within the tolerance (default 1 minor unit) of ours are
 *   taken as sent; beyond it, F PARAM_ILLEGAL;
 * - partial refunds rounded one by one still add up: the last returns exactly what is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { newRequestId, PAY_PATH, SEED_SURCHARGE, seedPay, withField } from '../support/payments.ts';
import { balanceOf, openPayment, press, REFUND_PATH, refundBody, refundsReturned, topUp } from '../support/cashier.ts';
import { heldByKind, readBooks } from '../support/ledger.ts';

let t: TestApp;
const C = 'C_SURCHARGE';

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '1000000');
});
afterAll(async () => t.close());

const json = async (path: string, body: unknown) => (await signedPost(t.app, path, body)).json();

async function pay(extra: Record<string, unknown>) {
  const p = await openPayment(t.app, C, extra);
  const page = await t.app.inject({ method: 'GET', url: p.path });
  const paid = await press(t.app, p.path, 'pay');
  expect(paid.body).toContain('data-status="SUCCESS"');
  return { ...p, page: page.body };
}

describe('surcharge: the user pays surchargeAmount, Alipay+ is owed payToAmount (§2 revision 2)', () => {
  it('debits surchargeAmount once, books payToAmount to SETTLEMENT and the difference to SURCHARGE, and shows what is debited', async () => {
    const before = await balanceOf(t.app, C);
    const p = await pay({ surchargeInfo: SEED_SURCHARGE });
    expect(p.page).toContain('You pay KRW 1030');
    expect(await balanceOf(t.app, C)).toBe(before - 1030n);
    expect(await heldByKind(t.database.db, p.paymentId)).toEqual({ CUSTOMER_WALLET: -1030n, SETTLEMENT: 1000n, SURCHARGE: 30n });
    const transfers = await t.database.db.selectFrom('ledger_transfers').select('kind').where('payment_id', '=', p.paymentId).execute();
    expect(transfers.map((x) => x.kind)).toEqual(['PAYMENT']); // one transfer
  });

  it('refunds a surcharged payment: the user gets refundFromAmount each time, and the whole debit back in the end', async () => {
    const before = await balanceOf(t.app, C);
    const p = await pay({ surchargeInfo: SEED_SURCHARGE });
    const r1 = await json(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '40', '412')); // 40 x 10.3
    expect(r1.result.resultStatus).toBe('S');
    expect(await balanceOf(t.app, C)).toBe(before - 1030n + 412n);
    const r2 = await json(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '60', '618'));
    expect(r2.result.resultStatus).toBe('S');
    expect(await balanceOf(t.app, C)).toBe(before);
    const held = await heldByKind(t.database.db, p.paymentId);
    expect([held.CUSTOMER_WALLET, held.SETTLEMENT, held.SURCHARGE]).toEqual([0n, 0n, 0n]);
    const books = await readBooks(t.database.db);
    expect([books.unbalanced, books.drifted, books.negativeWallets]).toEqual([[], [], []]);
  });

  it('refuses a surchargeAmount off the surcharge quote, one below payToAmount, or in another currency: F PARAM_ILLEGAL', async () => {
    const off = { ...SEED_SURCHARGE, surchargeAmount: { currency: 'KRW', value: '1040' } };
    const below = { surchargeAmount: { currency: 'KRW', value: '999' } };
    const jpy = { surchargeAmount: { currency: 'JPY', value: '103' } };
    for (const s of [off, below, jpy]) {
      const res = await json(PAY_PATH, withField(seedPay(C), 'surchargeInfo', s));
      expect(res.result.resultCode).toBe('PARAM_ILLEGAL');
      expect(res.result.resultMessage).toContain('surchargeInfo');
    }
  });

  it('keeps surchargeInfo among the replay key fields: the same id with another surcharge is F REPEAT_REQ_INCONSISTENT', async () => {
    const body = withField(seedPay(C), 'surchargeInfo', SEED_SURCHARGE);
    expect((await json(PAY_PATH, body)).result.resultCode).toBe('PAYMENT_IN_PROCESS');
    const other = withField(body, 'surchargeInfo', { surchargeAmount: { currency: 'KRW', value: '1020' } });
    expect((await json(PAY_PATH, other)).result).toMatchObject({ resultCode: 'REPEAT_REQ_INCONSISTENT', resultStatus: 'F' });
  });
});

describe("Alipay+'s amounts are the amounts (§2 revision 2)", () => {
  it('takes a payToAmount one minor unit off ours as sent, and refuses two off with F PARAM_ILLEGAL', async () => {
    const before = await balanceOf(t.app, C);
    const p = await pay({ payToAmount: { currency: 'KRW', value: '1001' } });
    expect(await balanceOf(t.app, C)).toBe(before - 1001n);
    const refused = await json(PAY_PATH, withField(seedPay(C), 'payToAmount', { currency: 'KRW', value: '1002' }));
    expect(refused.result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    expect(refused.result.resultMessage).toContain('payToAmount');
    // a refund one unit off ours is paid as sent too
    const r = await json(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '10', '99'));
    expect(r.result.resultStatus).toBe('S');
    expect(await balanceOf(t.app, C)).toBe(before - 1001n + 99n);
  });
});

describe('refunds never strand money (§5 revision 2)', () => {
  it('JPY 5 at 10.5 debits KRW 53; five refunds of JPY 1 sent with KRW 11 all succeed, the fifth returns the 9 left', async () => {
    const before = await balanceOf(t.app, C);
    const p = await pay({
      order: { ...seedPay(C).order, orderAmount: { currency: 'JPY', value: '5' } },
      paymentAmount: { currency: 'JPY', value: '5' },
      payToAmount: { currency: 'KRW', value: '53' },
      paymentQuote: { quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.5' },
    });
    expect(await balanceOf(t.app, C)).toBe(before - 53n);
    expect(await refundsReturned(t.app, C, p.paymentRequestId, 5, '1', '11')).toEqual([11n, 11n, 11n, 11n, 9n]);
    expect(await balanceOf(t.app, C)).toBe(before);
    const held = await heldByKind(t.database.db, p.paymentId);
    expect([held.CUSTOMER_WALLET, held.SETTLEMENT ?? 0n, held.SURCHARGE ?? 0n]).toEqual([0n, 0n, 0n]);
    // and a sixth is over the paid total
    expect((await json(REFUND_PATH, refundBody(p.paymentRequestId, newRequestId('RF'), '1', '11'))).result.resultCode).toBe('REFUND_AMOUNT_EXCEED');
  });
});
