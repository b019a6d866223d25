/**
 * `npm run demo` (issue 7): the seed flow over real HTTP, service and simulator in-process on the
 * embedded defaults. Its main function returns a summary; every step must be ok, and the figures
 * must be the seed's (JPY 100 -> KRW 1000 at 10.0000, refund JPY 30 -> KRW 300, KRW 9300 left).
 */
import { expect, it } from 'vitest';
import { hiddenInputs, runDemo } from '../../src/demo/demo.ts';

it('the demo walks the seed flow from identify to a reconciled balance, every step ok', async () => {
  const lines: string[] = [];
  const summary = await runDemo({ print: (l) => lines.push(l) });
  expect(summary.failedStep, lines.join('\n')).toBeUndefined();
  expect(summary.ok).toBe(true);
  expect(summary.steps.map((s) => s.step)).toEqual([
    'start',
    'customer',
    'identify',
    'authCode',
    'applyToken',
    'pay',
    'cashier page',
    'cashier Pay',
    'notifyPayment',
    'inquiryPayment',
    'refund',
    'balance',
    'paymentCodes',
    'code pay',
    'agreement bind',
    'agreement pay',
    'unbind',
    'final balance',
  ]);
  expect(summary.steps.every((s) => s.ok)).toBe(true);
  const figure = (step: string) => summary.steps.find((s) => s.step === step)!;
  expect(figure('pay').figure).toBe('JPY 100 -> KRW 1000 @ JPY/KRW 10.0000');
  expect(figure('notifyPayment').result).toBe('S SUCCESS');
  expect(figure('refund').figure).toBe('JPY 30 -> KRW 300');
  expect(figure('balance').figure).toContain('= KRW 9300');
  expect(figure('code pay').result).toBe('S SUCCESS');
  expect(figure('agreement pay').result).toBe('S SUCCESS');
  expect(figure('final balance').figure).toContain('= KRW 7300');
  expect(lines).toContain(`[3/16] applyToken ... S SUCCESS  (${figure('applyToken').figure})`);
}, 60_000);

it('the demo reads the cashier form hidden inputs whatever their attribute order and escaping', () => {
  const html = `<form method="post"><input value="a&amp;b" name="csrf" type="hidden"><input type='hidden' name='x' value='1'>
    <input type="text" name="visible" value="no"><button name="action" value="pay">Pay</button></form>`;
  expect(hiddenInputs(html)).toEqual({ csrf: 'a&b', x: '1' });
});
