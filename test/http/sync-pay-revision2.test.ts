/**
 * Contract revision 2 (issue #15) in the synchronous pays of §9 (payment codes) and §10 (Auto
 * Debit): the same money rules as the cashier's pay, through the signed routes.
 * - surchargeAmount is the whole amount the user pays: the wallet is debited surchargeAmount,
 *   SETTLEMENT owes payToAmount, the difference is surcharge income, in one PAYMENT transfer;
 * - Alipay+'s payToAmount within the tolerance (1 minor unit) is taken as sent, two off is refused;
 * - only what the official pay page requires is required;
 * - acquirerId is not a gate: an acquirer binds an agreement and charges it;
 * - a cancelPayment that came before the pay makes the pay F ORDER_IS_CLOSED, nothing debited;
 * - refunds of a surcharged synchronous payment give refundFromAmount and never strand money.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, CANCEL_PATH, cancelBody, REFUND_PATH, refundBody, refundsReturned, topUp } from '../support/cashier.ts';
import { createCustomer, signedPost, type TestApp, testApp } from '../support/harness.ts';
import { heldByKind, readBooks } from '../support/ledger.ts';
import { INQUIRY_PATH, newRequestId, PAY_PATH, SEED_SURCHARGE, seedPay, withField } from '../support/payments.ts';
import { agreementPay, codePay } from '../support/sync-pay.ts';
import { applyWithCode, authCodeFor } from '../support/tokens.ts';

let t: TestApp;
const C = 'C_SYNC_REV2';
/** An acquirer other than Alipay+ (ALIPAYPLUS_ACQUIRER_ID), binding and charging an agreement. */
const OTHER_ACQUIRER = '1022188000000000';

beforeAll(async () => {
  t = await testApp();
  await createCustomer(t.app, C, 'KRW');
  await topUp(t.app, C, '1000000');
});
afterAll(async () => t.close());

const json = async (path: string, body: unknown) => (await signedPost(t.app, path, body)).json();

async function agreementToken(acquirerId?: string): Promise<string> {
  const res = await applyWithCode(t, await authCodeFor(t, C, ['AGREEMENT_PAY']), acquirerId ? { acquirerId } : {});
  expect(res.json().result.resultStatus).toBe('S');
  return res.json().accessToken as string;
}

/** The two synchronous pays of one customer, each under a new paymentRequestId. */
async function syncPays(): Promise<ReadonlyArray<readonly [string, (id?: string) => ReturnType<typeof codePay>]>> {
  const token = await agreementToken();
  return [
    ['payment code', (id) => codePay(C, id)],
    ['Auto Debit', (id) => agreementPay(C, token, id)],
  ];
}

describe('synchronous pays follow contract revision 2', () => {
  it('debits surchargeAmount, owes Alipay+ payToAmount, books the difference to SURCHARGE, in one transfer', async () => {
    for (const [name, body] of await syncPays()) {
      const before = await balanceOf(t.app, C);
      const res = await json(PAY_PATH, withField(body(), 'surchargeInfo', SEED_SURCHARGE));
      expect(res.result.resultCode, name).toBe('SUCCESS');
      expect(await balanceOf(t.app, C), name).toBe(before - 1030n);
      expect(await heldByKind(t.database.db, res.paymentId), name).toEqual({ CUSTOMER_WALLET: -1030n, SETTLEMENT: 1000n, SURCHARGE: 30n });
      const transfers = await t.database.db.selectFrom('ledger_transfers').select('kind').where('payment_id', '=', res.paymentId).execute();
      expect(
        transfers.map((x) => x.kind),
        name,
      ).toEqual(['PAYMENT']);
      const row = await t.database.db.selectFrom('payments').select(['debit_minor', 'pay_to_minor']).where('id', '=', res.paymentId).executeTakeFirstOrThrow();
      expect([row.debit_minor, row.pay_to_minor], name).toEqual([1030n, 1000n]);
    }
  });

  it("takes Alipay+'s payToAmount one minor unit off ours as sent and debits it; two off is F PARAM_ILLEGAL, nothing debited", async () => {
    for (const [name, body] of await syncPays()) {
      const before = await balanceOf(t.app, C);
      const res = await json(PAY_PATH, withField(body(), 'payToAmount', { currency: 'KRW', value: '1001' }));
      expect(res.result.resultCode, name).toBe('SUCCESS');
      expect(await balanceOf(t.app, C), name).toBe(before - 1001n);
      const refused = await json(PAY_PATH, withField(body(), 'payToAmount', { currency: 'KRW', value: '1002' }));
      expect(refused.result, name).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
      expect(await balanceOf(t.app, C), name).toBe(before - 1001n);
    }
  });

  it('pays without the fields the official pay page marks optional (store, city, display name, env), null or absent', async () => {
    for (const [name, body] of await syncPays()) {
      let req = body();
      for (const path of ['order.merchant.store', 'order.merchant.merchantAddress.city', 'order.merchant.merchantDisplayName', 'order.env']) {
        req = withField(req, path, undefined);
      }
      req = withField(req, 'passThroughInfo', null);
      const res = await json(PAY_PATH, req);
      expect(res.result.resultCode, name).toBe('SUCCESS');
    }
  });

  it('serves an acquirer other than Alipay+: it binds an agreement (recorded on it) and charges it', async () => {
    const token = await agreementToken(OTHER_ACQUIRER);
    const grant = await t.database.db
      .selectFrom('agreements')
      .select(['acquirer_id'])
      .where('customer_id', '=', C)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(grant.acquirer_id).toBe(OTHER_ACQUIRER);
    const before = await balanceOf(t.app, C);
    const res = await json(PAY_PATH, withField(agreementPay(C, token), 'acquirerId', OTHER_ACQUIRER));
    expect(res.result.resultCode).toBe('SUCCESS');
    expect(await balanceOf(t.app, C)).toBe(before - 1000n);
  });

  it('a cancelPayment that came first makes the later synchronous pay F ORDER_IS_CLOSED: no order, nothing debited', async () => {
    for (const [name, body] of await syncPays()) {
      const paymentRequestId = newRequestId('CF');
      expect((await json(CANCEL_PATH, cancelBody(paymentRequestId))).result, name).toMatchObject({ resultCode: 'SUCCESS', resultStatus: 'S' });
      const before = await balanceOf(t.app, C);
      for (let i = 0; i < 2; i++) {
        const res = await json(PAY_PATH, body(paymentRequestId));
        expect(res.result, name).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
        expect(res.paymentId, name).toBeUndefined();
      }
      expect(await t.database.db.selectFrom('payments').select('id').where('payment_request_id', '=', paymentRequestId).execute(), name).toEqual([]);
      expect(await balanceOf(t.app, C), name).toBe(before);
      expect((await json(INQUIRY_PATH, cancelBody(paymentRequestId))).paymentResult, name).toMatchObject({ resultCode: 'ORDER_IS_CLOSED', resultStatus: 'F' });
    }
  });

  it('refunds a surcharged synchronous payment: refundFromAmount each time, the whole debit back in the end, nothing stranded', async () => {
    for (const [name, body] of await syncPays()) {
      const before = await balanceOf(t.app, C);
      const req = withField(body(), 'surchargeInfo', SEED_SURCHARGE);
      const paid = await json(PAY_PATH, req);
      expect(paid.result.resultCode, name).toBe('SUCCESS');
      const r1 = await json(REFUND_PATH, refundBody(req.paymentRequestId, newRequestId('RF'), '40', '412')); // 40 x 10.3
      expect(r1.result.resultStatus, name).toBe('S');
      expect(await balanceOf(t.app, C), name).toBe(before - 1030n + 412n);
      const r2 = await json(REFUND_PATH, refundBody(req.paymentRequestId, newRequestId('RF'), '60', '618'));
      expect(r2.result.resultStatus, name).toBe('S');
      expect(await balanceOf(t.app, C), name).toBe(before);
      const held = await heldByKind(t.database.db, paid.paymentId);
      expect([held.CUSTOMER_WALLET, held.SETTLEMENT, held.SURCHARGE], name).toEqual([0n, 0n, 0n]);
    }
    const books = await readBooks(t.database.db);
    expect([books.unbalanced, books.drifted, books.negativeWallets]).toEqual([[], [], []]);
  });

  it('JPY 5 at 10.5 paid with a payment code debits KRW 53; five refunds sent with KRW 11 all succeed, the fifth returns the 9 left', async () => {
    const before = await balanceOf(t.app, C);
    const req = {
      ...codePay(C),
      order: { ...seedPay(C).order, orderAmount: { currency: 'JPY', value: '5' } },
      paymentAmount: { currency: 'JPY', value: '5' },
      payToAmount: { currency: 'KRW', value: '53' },
      paymentQuote: { quoteCurrencyPair: 'JPY/KRW', quotePrice: '10.5' },
    };
    const paid = await json(PAY_PATH, req);
    expect(paid.result.resultCode).toBe('SUCCESS');
    expect(await refundsReturned(t.app, C, req.paymentRequestId, 5, '1', '11')).toEqual([11n, 11n, 11n, 11n, 9n]);
    expect(await balanceOf(t.app, C)).toBe(before);
    const held = await heldByKind(t.database.db, paid.paymentId);
    expect([held.CUSTOMER_WALLET, held.SETTLEMENT ?? 0n, held.SURCHARGE ?? 0n]).toEqual([0n, 0n, 0n]);
  });
});
