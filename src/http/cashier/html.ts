/**
 * The cashier's server-rendered HTML (§5): template literals where EVERY interpolated value goes
 * through `esc` (or is a number we computed). No front-end build; inline CSS under a nonce and a
 * tiny countdown script under the same nonce (CSP in routes.ts).
 */
import { toMajorString, type Money } from '../../domain/money.ts';
import type { Payment } from '../../domain/payments/payment.ts';

/** HTML-escapes text and attribute values (double-quoted attributes only). */
export function esc(value: string): string {
  return value.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const money = (m: Money) => `${esc(m.currency)} ${esc(toMajorString(m))}`;

const STYLE = `
body{font-family:system-ui,-apple-system,sans-serif;margin:0;background:#f4f5f7;color:#1c1e21}
main{max-width:28rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.2rem;margin:0 0 .25rem} .store{color:#606770;margin:0 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.5rem 1rem;margin:0 0 1rem} dt{color:#606770} dd{margin:0;text-align:right}
.total{font-size:1.6rem;font-weight:700;text-align:center;margin:1rem 0}
.msg{padding:.75rem;border-radius:8px;margin:0 0 1rem} .err{background:#fdecea;color:#a4161a} .ok{background:#e6f4ea;color:#1e6b34} .info{background:#eef2f7}
form{display:flex;gap:.75rem} button{flex:1;font-size:1.05rem;padding:.9rem;border-radius:8px;border:0}
.pay{background:#1677ff;color:#fff} .cancel{background:#e4e6eb;color:#1c1e21}
.left{text-align:center;color:#606770;margin:.5rem 0 1rem}`;

function layout(title: string, nonce: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style nonce="${esc(nonce)}">${STYLE}</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

function summary(p: Payment): string {
  const merchant = p.request.order.merchant;
  const quote = p.quote
    ? `<dt>Rate</dt><dd>1 ${esc(p.quote.quoteCurrencyPair.slice(0, 3))} = ${esc(p.quote.quotePrice)} ${esc(p.quote.quoteCurrencyPair.slice(4))}</dd>`
    : '';
  const surcharge =
    p.debitAmount.valueMinor > p.payToAmount.valueMinor
      ? `<dt>Surcharge</dt><dd>${money({ currency: p.debitAmount.currency, valueMinor: p.debitAmount.valueMinor - p.payToAmount.valueMinor })}</dd>`
      : '';
  return `<h1 id="merchant">${esc(merchant.merchantDisplayName ?? merchant.merchantName)}</h1>
<p class="store" id="store">${esc(merchant.store.storeName)}</p>
<dl>
<dt>Order</dt><dd>${esc(p.request.order.orderDescription)}</dd>
<dt>Order amount</dt><dd id="order-amount">${money(p.paymentAmount)}</dd>
${quote}
<dt>Amount</dt><dd>${money(p.payToAmount)}</dd>
${surcharge}
</dl>`;
}

export interface CashierPageInput {
  readonly payment: Payment;
  readonly nonce: string;
  readonly csrf: string;
  readonly secondsLeft: number;
  /** A refusal to show above the form (insufficient funds, frozen user, limit). */
  readonly error?: string | undefined;
}

/** The open order: what the user pays, the time left, Pay and Cancel posting back to this URL. */
export function cashierPage(i: CashierPageInput): string {
  const left = Math.max(0, Math.floor(i.secondsLeft));
  const mmss = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  const body = `<div class="card">
${summary(i.payment)}
<p class="total" id="total">You pay ${money(i.payment.debitAmount)}</p>
${i.error ? `<p class="msg err" id="error" role="alert">${esc(i.error)}</p>` : ''}
<p class="left">Time left <span id="left" data-seconds="${left}">${mmss}</span></p>
<form method="post">
<input type="hidden" name="csrf" value="${esc(i.csrf)}">
<button class="pay" id="pay" name="action" value="pay" type="submit">Pay</button>
<button class="cancel" id="cancel" name="action" value="cancel" type="submit">Cancel</button>
</form>
</div>
<script nonce="${esc(i.nonce)}">
(function(){var el=document.getElementById('left');var s=Number(el.getAttribute('data-seconds'));
var t=setInterval(function(){s-=1;if(s<=0){clearInterval(t);el.textContent='0:00';location.reload();return;}
el.textContent=Math.floor(s/60)+':'+String(s%60).padStart(2,'0');},1000);})();
</script>`;
  return layout('Pay', i.nonce, body);
}

/** The result page of a final payment (paid, cancelled, expired, failed). */
export function resultPage(p: Payment, nonce: string): string {
  const [cls, heading, detail] =
    p.status === 'SUCCESS'
      ? ['ok', 'Payment successful', `Paid ${money(p.debitAmount)}`]
      : p.status === 'CANCELLED'
        ? ['info', 'Payment cancelled', 'The payment was cancelled and refunded to your wallet.']
        : p.status === 'CLOSED'
          ? ['info', 'Order closed', 'This order was cancelled or has expired. Nothing was charged.']
          : ['err', 'Payment failed', 'Nothing was charged.'];
  const body = `<div class="card">
${summary(p)}
<p class="msg ${cls}" id="result" data-status="${esc(p.status)}">${esc(heading)}</p>
<p>${detail}</p>
</div>`;
  return layout(heading, nonce, body);
}

/** Unknown link, or a broken request: no detail. */
export function messagePage(title: string, text: string, nonce: string): string {
  return layout(title, nonce, `<div class="card"><h1>${esc(title)}</h1><p>${esc(text)}</p></div>`);
}

/** The text shown to anyone who is not the payment's customer in our app (§5, issue 16). */
export const OPEN_IN_APP = 'Open this payment in the wallet app to pay it.';

/** The open order as seen without the payer's session: the order, no Pay or Cancel button. */
export function openInAppPage(p: Payment, nonce: string): string {
  const body = `<div class="card">
${summary(p)}
<p class="total" id="total">You pay ${money(p.debitAmount)}</p>
<p class="msg info" id="open-in-app">${esc(OPEN_IN_APP)}</p>
</div>`;
  return layout('Open in the wallet app', nonce, body);
}
