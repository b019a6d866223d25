/** Browser-test helpers for the cashier (Chromium through playwright-core), as the app's webview uses it. */
import { execFileSync } from 'node:child_process';
import { type Browser, type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { appJwt } from './harness.ts';

/** Debian's Chromium, headless, with the flags this machine needs (`npx playwright install` cannot download here). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/**
 * Opens the link in a fresh browser as `customerId`'s webview (§5, issue 16): the app JWT as a
 * bearer header on the first GET only, exchanged for the mpp_cashier session cookie; no app at all
 * when `customerId` is undefined.
 */
export async function openCashierAs(browser: Browser, paymentUrl: string, customerId: string | undefined): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  if (customerId) await page.setExtraHTTPHeaders({ authorization: `Bearer ${await appJwt(customerId)}` });
  await page.goto(paymentUrl);
  await page.setExtraHTTPHeaders({});
  return { context, page };
}

/**
 * Posts a form like the payer's, built in this page (the CSP allows posting to 'self'): what a
 * viewer without Pay could still send. Returns the answer to the POST.
 */
export async function postFormFromPage(page: Page, fields: Readonly<Record<string, string>>): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.evaluate((entries: [string, string][]) => {
      const d = (globalThis as unknown as { document: any }).document;
      const f = d.createElement('form');
      f.method = 'post';
      for (const [name, value] of entries) {
        const i = d.createElement('input');
        i.type = 'hidden';
        i.name = name;
        i.value = value;
        f.appendChild(i);
      }
      d.body.appendChild(f);
      f.submit();
    }, Object.entries(fields)),
  ]);
  return response;
}
