/**
 * `npm run simulator -- <command>`: a stand-in Alipay+ for local runs. See docs/simulator.md.
 *
 *   serve                          the Alipay+ side: inquiryCodeRules and notifyPayment
 *   customer --customer C          ops: create a customer (and --top-up VALUE its wallet)
 *   auth-code --customer C         the wallet app: an auth code for C
 *   apply-token --auth-code X | --customer C | --refresh-token R
 *   cancel-token --access-token T, user-info --access-token T
 *   pay --customer C --scenario fx|same-currency|reverse-pair|surcharge|promo|expiry
 *   inquiry --id ID [--poll], cancel --id ID, refund --id ID --amount VALUE
 */
import { parseArgs } from 'node:util';
import { type CallResult, SimulatorClient, fetchTransport } from './client.ts';
import { consolePrinter } from './print.ts';
import { agreementPayRequest, PAY_SCENARIOS, paymentCodePayRequest, SCENARIO_DESCRIPTIONS, isPayScenario, payRequest, pollPayment, refundFor } from './scenarios.ts';
import { FAIL_MODES, type FailMode, SIMULATED_ENDPOINTS, type SimulatedEndpoint, startSimulator } from './server.ts';
import { simulatorSettings } from './settings.ts';
import { createCustomer, listAgreements, requestAuthCode, requestPaymentCodes, topUp, unbindAgreement } from './wallet-app.ts';

const USAGE = `usage: npm run simulator -- <command> [options]

Alipay+ side (a server the MPP calls):
  serve [--port N] [--fail-next N --fail-mode ${FAIL_MODES.join('|')}] [--delay-ms N]
        [--endpoint ${SIMULATED_ENDPOINTS.join('|')}]     switches apply to notifyPayment unless --endpoint

Alipay+ calling the MPP (signed; every answer's signature is verified):
  apply-token --auth-code CODE | --customer C | --refresh-token TOKEN
  cancel-token --access-token TOKEN
  user-info --access-token TOKEN
  pay --customer C [--scenario ${PAY_SCENARIOS.join('|')}] [--id PAYMENT_REQUEST_ID]
      [--expiry-seconds N] [--notify-url URL] [--redirect-url URL]
  inquiry --id PAYMENT_REQUEST_ID [--poll [--every-ms N] [--timeout-ms N]]
  cancel --id PAYMENT_REQUEST_ID
  refund --id PAYMENT_REQUEST_ID --amount VALUE [--refund-id ID] [--payment-id ID]
  pay-code --customer C --code CODE           §9 a merchant scanned the user's payment code: pay at once
  bind --customer C                           §10 the agreement page's AGREEMENT_PAY auth code, exchanged
  agreement-pay --customer C --access-token TOKEN   §10 Auto Debit: charge the agreement, no user present

The wallet app and ops (to set a run up):
  customer --customer C [--currency KRW] [--top-up VALUE]
  auth-code --customer C
  payment-codes --customer C [--count N]       §9 codes to show (the MPP asks Alipay+: run serve)
  agreements --customer C                      §10 the customer's bindings
  unbind --customer C --agreement ID           §10 consultUnbinding, revoke, authNotify (run serve)

  scenarios                       what each pay scenario sends

Options for all: --mpp URL (else MPP_BASE_URL, default http://127.0.0.1:3000), --verbose, --show-secrets
Keys: SIMULATOR_PRIVATE_KEY and MPP_PUBLIC_KEY, else the dev keys in DATA_DIR/dev-keys (as npm start).`;

const options = {
  port: { type: 'string' },
  'fail-next': { type: 'string' },
  'fail-mode': { type: 'string' },
  'delay-ms': { type: 'string' },
  endpoint: { type: 'string' },
  'auth-code': { type: 'string' },
  'refresh-token': { type: 'string' },
  'access-token': { type: 'string' },
  customer: { type: 'string' },
  currency: { type: 'string' },
  'top-up': { type: 'string' },
  scenario: { type: 'string' },
  id: { type: 'string' },
  'expiry-seconds': { type: 'string' },
  'notify-url': { type: 'string' },
  'redirect-url': { type: 'string' },
  poll: { type: 'boolean' },
  'every-ms': { type: 'string' },
  'timeout-ms': { type: 'string' },
  amount: { type: 'string' },
  'refund-id': { type: 'string' },
  'payment-id': { type: 'string' },
  code: { type: 'string' },
  count: { type: 'string' },
  agreement: { type: 'string' },
  mpp: { type: 'string' },
  verbose: { type: 'boolean' },
  'show-secrets': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

class UsageError extends Error {}

function need(flags: Flags, name: keyof Flags): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

function wholeNumber(flags: Flags, name: keyof Flags, fallback: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} must be a whole number`);
  return n;
}

/** Exit status of a signed call: 0 verified answer, 2 answer with a bad or missing signature. */
function exitFor(res: CallResult): number {
  return res.signatureValid ? 0 : 2;
}

async function serve(flags: Flags): Promise<number> {
  const env = { ...process.env, ...(flags.port ? { SIMULATOR_PORT: flags.port } : {}) };
  const settings = simulatorSettings(env);
  const endpoint = (flags.endpoint ?? 'notifyPayment') as SimulatedEndpoint;
  if (!SIMULATED_ENDPOINTS.includes(endpoint)) throw new UsageError(`--endpoint must be one of ${SIMULATED_ENDPOINTS.join(', ')}`);
  const failMode = (flags['fail-mode'] ?? process.env.SIMULATOR_FAIL_MODE ?? 'U') as FailMode;
  if (!FAIL_MODES.includes(failMode)) throw new UsageError(`--fail-mode must be one of ${FAIL_MODES.join(', ')}`);
  const failNext = wholeNumber(flags, 'fail-next', Number(process.env.SIMULATOR_FAIL_NEXT ?? 0));
  const delayMs = wholeNumber(flags, 'delay-ms', Number(process.env.SIMULATOR_DELAY_MS ?? 0));
  const printer = consolePrinter({ verbose: flags.verbose, showSecrets: flags['show-secrets'] });
  const sim = await startSimulator({
    keys: settings.keys,
    clientId: settings.clientId,
    mppKeyVersion: settings.mppKeyVersion,
    host: settings.host,
    port: settings.port,
    printer,
    switches: { [endpoint]: { failNext, failMode, delayMs } },
  });
  printer.note(`Alipay+ simulator listening on ${sim.url} (Client-Id ${settings.clientId})`);
  for (const line of settings.sources) console.log(`  ${line}`);
  console.log(`  serves POST ${sim.url}/aps/api/v1/codes/inquiryCodeRules and POST ${sim.url}/aps/api/v1/payments/notifyPayment`);
  console.log(`  switches: ${JSON.stringify(sim.switches.snapshot())}`);
  console.log(`  control: GET ${sim.url}/simulator/notifications, POST ${sim.url}/simulator/switches`);
  console.log(`  start the MPP with ALIPAYPLUS_BASE_URL=${sim.url} (and the same DATA_DIR) to send it notifications`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  return 0;
}

async function run(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const command = positionals[0];
  if (!command || flags.help || command === 'help') {
    console.log(USAGE);
    return command || flags.help ? 0 : 64;
  }
  if (command === 'scenarios') {
    for (const s of PAY_SCENARIOS) console.log(`${s.padEnd(15)} ${SCENARIO_DESCRIPTIONS[s]}`);
    return 0;
  }
  if (command === 'serve') return serve(flags);

  const settings = simulatorSettings({ ...process.env, ...(flags.mpp ? { MPP_BASE_URL: flags.mpp } : {}) });
  const printer = consolePrinter({ verbose: flags.verbose, showSecrets: flags['show-secrets'] });
  const transport = fetchTransport(settings.mppBaseUrl);
  const client = new SimulatorClient({ ...settings, baseUrl: settings.mppBaseUrl, transport, printer });
  // Read on demand: only the app-side commands need the app JWT secret.
  const wallet = () => ({ transport, baseUrl: settings.mppBaseUrl, appJwtSecret: settings.appJwtSecret(), printer });

  switch (command) {
    case 'customer': {
      const customer = need(flags, 'customer');
      const currency = flags.currency ?? 'KRW';
      const ops = { transport, baseUrl: settings.mppBaseUrl, opsApiToken: settings.opsApiToken(), printer };
      const created = await createCustomer(ops, customer, currency);
      if (created.status !== 201 && created.status !== 409) return 1;
      if (flags['top-up']) {
        const t = await topUp(ops, customer, currency, flags['top-up']);
        if (t.status >= 300) return 1;
      }
      return 0;
    }
    case 'auth-code': {
      const res = await requestAuthCode(wallet(), need(flags, 'customer'));
      return res.status === 200 || res.status === 201 ? 0 : 1;
    }
    case 'payment-codes': {
      const res = await requestPaymentCodes(wallet(), need(flags, 'customer'), { codeQuantity: wholeNumber(flags, 'count', 1) });
      if (res.status === 200) printer.note('next: npm run simulator -- pay-code --customer C --code <one of them>');
      return res.status === 200 ? 0 : 1;
    }
    case 'agreements':
      return (await listAgreements(wallet(), need(flags, 'customer'))).status === 200 ? 0 : 1;
    case 'unbind':
      return (await unbindAgreement(wallet(), need(flags, 'customer'), need(flags, 'agreement'))).status === 200 ? 0 : 1;
    case 'pay-code':
      printer.note('pay, user-presented: the merchant scanned the payment code; the MPP debits at once (no cashier)');
      return exitFor(await client.pay(paymentCodePayRequest(need(flags, 'code'), need(flags, 'customer'))));
    case 'agreement-pay':
      printer.note("pay, Auto Debit: the agreement's access token as paymentMethodId; the MPP debits at once");
      return exitFor(await client.pay(agreementPayRequest(need(flags, 'access-token'), need(flags, 'customer'))));
    case 'bind': {
      printer.note('§10 the agreement page: an AGREEMENT_PAY auth code for the logged-in user, then Alipay+ applyToken');
      const code = await requestAuthCode(wallet(), need(flags, 'customer'), ['AGREEMENT_PAY']);
      if (typeof code.body.authCode !== 'string') return 1;
      const res = await client.applyToken({ authCode: code.body.authCode });
      printer.note('next: npm run simulator -- agreement-pay --customer C --access-token <accessToken>');
      return exitFor(res);
    }
    case 'apply-token': {
      let grant: { authCode: string } | { refreshToken: string };
      if (flags['refresh-token']) grant = { refreshToken: flags['refresh-token'] };
      else if (flags['auth-code']) grant = { authCode: flags['auth-code'] };
      else {
        // Seed step 1: the wallet app gets an auth code from its server, Alipay+ exchanges it.
        printer.note('Step 1: the wallet app gets an auth code from the MPP server for its logged-in user');
        const code = await requestAuthCode(wallet(), need(flags, 'customer'));
        if (typeof code.body.authCode !== 'string') return 1;
        printer.note('Step 2: Alipay+ exchanges it for tokens');
        grant = { authCode: code.body.authCode };
      }
      return exitFor(await client.applyToken(grant));
    }
    case 'cancel-token':
      return exitFor(await client.cancelToken(need(flags, 'access-token')));
    case 'user-info':
      return exitFor(await client.inquiryUserInfo(need(flags, 'access-token')));
    case 'pay': {
      const scenario = flags.scenario ?? 'fx';
      if (!isPayScenario(scenario)) throw new UsageError(`--scenario must be one of ${PAY_SCENARIOS.join(', ')}`);
      const request = payRequest(scenario, {
        customerId: need(flags, 'customer'),
        ...(flags.id ? { paymentRequestId: flags.id } : {}),
        ...(flags['expiry-seconds'] ? { expirySeconds: wholeNumber(flags, 'expiry-seconds', 60) } : {}),
        ...(flags['notify-url'] ? { paymentNotifyUrl: flags['notify-url'] } : {}),
        ...(flags['redirect-url'] ? { paymentRedirectUrl: flags['redirect-url'] } : {}),
      });
      printer.note(`pay, scenario ${scenario}: ${SCENARIO_DESCRIPTIONS[scenario]}`);
      const res = await client.pay(request);
      if (typeof res.body.paymentUrl === 'string') printer.note(`the user confirms on the cashier page: ${res.body.paymentUrl}`);
      printer.note(`next: npm run simulator -- inquiry --id ${request.paymentRequestId} --poll`);
      return exitFor(res);
    }
    case 'inquiry': {
      const id = need(flags, 'id');
      if (!flags.poll) return exitFor(await client.inquiryPayment(id));
      const res = await pollPayment(client, id, { everyMs: wholeNumber(flags, 'every-ms', 2000), timeoutMs: wholeNumber(flags, 'timeout-ms', 180_000) });
      return exitFor(res);
    }
    case 'cancel':
      return exitFor(await client.cancelPayment(need(flags, 'id')));
    case 'refund': {
      const id = need(flags, 'id');
      const amount = need(flags, 'amount');
      if (!/^\d{1,19}$/.test(amount)) throw new UsageError('--amount is minor units of the payment currency, digits only');
      printer.note('refund: first look the payment up, to refund at its own rate');
      const { inquiry, request } = await refundFor(client, id, BigInt(amount), {
        ...(flags['payment-id'] ? { paymentId: flags['payment-id'] } : {}),
        ...(flags['refund-id'] ? { refundRequestId: flags['refund-id'] } : {}),
      });
      if (!request) {
        printer.note('no amounts to refund against: the inquiry did not find the payment');
        return inquiry.signatureValid ? 1 : 2;
      }
      return exitFor(await client.refund(request));
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

function explain(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'the MPP is not answering: start it with `npm start` (or pass --mpp URL / MPP_BASE_URL)';
  return err instanceof Error ? err.message : String(err);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        console.error(`${(err as Error).message}\n\n${USAGE}`);
        process.exit(64);
      }
      console.error(explain(err));
      process.exit(1);
    },
  );
}
