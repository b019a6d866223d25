/**
 * buildApp(deps) -> a Fastify instance: plugins first, then the routes of each audience.
 * Repositories and use cases are built here once and passed to the routes; nothing is hung on
 * the Fastify instance. server.ts is the only file that builds a process around it.
 */
import { randomUUID } from 'node:crypto';
import sensible from '@fastify/sensible';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Config } from './config.ts';
import { customerUseCases } from './domain/customers/use-cases.ts';
import { result } from './domain/errors.ts';
import type { Clock, KeyValueStore } from './domain/ports.ts';
import { installHandlerTimeout } from './http/handler-timeout.ts';
import { installEnvelope } from './http/alipayplus/envelope.ts';
import { registerDocs } from './http/docs.ts';
import { paymentRoutes } from './http/alipayplus/payments.ts';
import { authorizationRoutes } from './http/alipayplus/authorizations.ts';
import { authCodeRoutes } from './http/app/auth-codes.ts';
import { tokenUseCases } from './domain/tokens/use-cases.ts';
import { tokenRepos, tokenUnitOfWork } from './persistence/tokens-repository.ts';
import { appPaymentRoutes } from './http/app/payments.ts';
import { paymentReads } from './domain/payments/inquiry.ts';
import { payUseCase } from './domain/payments/pay.ts';
import { expirySweeper } from './jobs/expiry-sweeper.ts';
import { createMetrics, installMetrics, type Metrics } from './http/metrics.ts';
import { requireAppUser } from './http/app/auth.ts';
import { requireOpsToken } from './http/ops/auth.ts';
import { installRateLimit } from './http/rate-limit.ts';
import { installHostileInputGuard } from './http/hostile-input.ts';
import type { Job } from './jobs/loop.ts';
import { customerRoutes } from './http/ops/customers.ts';
import { httpStatusFor, mapError } from './http/result-mapper.ts';
import { customerRepository } from './persistence/customers-repository.ts';
import { type DatabaseHandle, pingDatabase } from './persistence/database.ts';
import { type PaymentFinalHook, paymentQueries, paymentRepository, paymentUnitOfWork, payStore } from './persistence/payments-repository.ts';
import { cashierUseCases } from './domain/payments/cashier.ts';
import { cancelPaymentUseCase } from './domain/payments/cancel.ts';
import { refundUseCase } from './domain/refunds/refund.ts';
import { refundRepository } from './persistence/refunds-repository.ts';
import { cancelRefundRoutes } from './http/alipayplus/cancel-refund.ts';
import { cashierCsrfKey, cashierRoutes } from './http/cashier/routes.ts';
import type { Secrets } from './secrets.ts';
import { createAlipayPlusClient } from './adapters/alipayplus-client.ts';
import { walletUseCases } from './domain/wallet/use-cases.ts';
import { walletRoutes } from './http/ops/wallet.ts';
import { notifyDispatcher, registerNotifyMetrics } from './jobs/notify-dispatcher.ts';
import { ledgerQueries, ledgerRepository } from './persistence/ledger-repository.ts';
import { unitOfWork } from './persistence/unit-of-work.ts';
import { enqueuePaymentNotifications } from './persistence/notify-outbox-repository.ts';
import { alipayPlusCodeRules, readPresetCodeRules } from './adapters/code-rules-source.ts';
import { remoteCodeIdentification } from './adapters/remote-code-identification.ts';
import { CodeListCache } from './domain/codes/list-cache.ts';
import type { RemoteCodeIdentification, RemoteCodeRules } from './domain/codes/ports.ts';
import { CodeRuleBook } from './domain/codes/rule-book.ts';
import { codeIdentification, codeListManagement } from './domain/codes/use-cases.ts';
import { codeRoutes } from './http/app/codes.ts';
import { codeListRoutes } from './http/ops/code-lists.ts';
import { codeListsPoller, codeRulesRefresher } from './jobs/code-identification.ts';
import { codeListRepository, codeListUnitOfWork } from './persistence/code-lists-repository.ts';
import { codeRuleSetStore } from './persistence/code-rule-sets-repository.ts';

export interface AppDeps {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly database: DatabaseHandle;
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  /** pino options or false; tests pass false. */
  readonly logger?: boolean | Record<string, unknown>;
  /** Extra readiness checks (code rules loaded, ...), each throwing when not ready. */
  readonly readinessChecks?: Readonly<Record<string, () => Promise<void>>>;
  /** §6 inquiryCodeRules source; default: signed calls to ALIPAYPLUS_BASE_URL when set. null: none. */
  readonly codeRulesSource?: RemoteCodeRules | null;
  /** Remote identification of untrusted code rules; default: ALIPAYPLUS_IDENTIFY_URL when set. null: none. */
  readonly remoteCodeIdentification?: RemoteCodeIdentification | null;
  /** §6 preset code rules; default: src/adapters/code-rules-preset.json. */
  readonly presetCodeRules?: () => Promise<unknown>;
}

export interface BuiltApp {
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  /** Background jobs (sweeper, notify dispatcher, code-rule refresher); server.ts runs them. */
  readonly jobs: readonly Job[];
}

/** Never log a secret: keys, tokens, auth codes, signatures, cashier links. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.signature',
  'req.headers.cookie',
  '*.accessToken',
  '*.refreshToken',
  '*.authCode',
  '*.privateKey',
  '*.codeValue',
  '*.paymentUrl',
];

/** On every answer (see the onSend hook in buildApp). */
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

export function loggerOptions(config: Config): Record<string, unknown> {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // The cashier path holds the payment's link token: log the route, not the URL.
      req: (req: { method: string; url: string; id: string; routeOptions?: { url?: string } }) => ({
        method: req.method,
        url: req.url.startsWith('/cashier/') ? '/cashier/[redacted]' : req.url.split('?')[0],
        id: req.id,
      }),
    },
  };
}

export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const { config, secrets, database, kv, clock } = deps;
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config),
    // Limits and timeouts, each on purpose (issue 9; tested in test/fuzz/limits.test.ts):
    // a body is at most BODY_LIMIT_BYTES (Alipay+ routes answer F PARAM_ILLEGAL, the others 413);
    bodyLimit: config.bodyLimitBytes,
    // a client has REQUEST_TIMEOUT_MS to send headers and body (slow senders get 408 and are cut);
    requestTimeout: config.requestTimeoutMs,
    // the answer comes within HANDLER_TIMEOUT_MS, else U UNKNOWN_EXCEPTION / 503 (§1: answer U rather
    // than let Alipay+ time out at 5 s): installHandlerTimeout below, not Fastify's handlerTimeout;
    // an idle keep-alive connection stays 72 s, longer than the usual load balancer's 60 s idle
    // timeout (so the balancer, not us, closes it: no reset on a reused connection);
    keepAliveTimeout: 72_000,
    // no socket inactivity timeout on top: the three above bound every phase of a request.
    connectionTimeout: 0,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.requestTimeoutMs,
      // Node checks the two timeouts above on this interval (its default, 30 s, would let a slow
      // sender hold a connection 30 s past REQUEST_TIMEOUT_MS).
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs),
      // Node's default, stated: larger headers get 431 before any of our code runs.
      maxHeaderSize: 16_384,
    },
    // A path that is not valid percent-encoding, or a path parameter over 100 characters: a
    // `{result}` like every other refusal, never echoing the path (a cashier path holds a token).
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      // Answered before any hook runs: the security headers are set here too.
      void reply
        .code(tooLong ? 414 : 400)
        .headers(SECURITY_HEADERS)
        .send({ result: result('PARAM_ILLEGAL', tooLong ? 'A path parameter is too long' : 'The URL is malformed') });
    },
    // A request id from the caller (bounded) or our own, on every log line.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  installHandlerTimeout(app, config.handlerTimeoutMs);
  await app.register(sensible);

  // Every answer (Alipay+, app, ops, errors): no MIME sniffing, and never cached, since bodies carry
  // tokens, auth codes and payment data. A route that wants caching (none today) sets its own
  // Cache-Control; the cashier page sets its own CSP and framing headers.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', SECURITY_HEADERS['x-content-type-options']);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', SECURITY_HEADERS['cache-control']);
    return payload;
  });

  const metrics = createMetrics();
  installMetrics(app, metrics);

  // App and ops routes: 4xx/5xx with a `{result}` body and a reason; never a stack trace.
  app.setErrorHandler(async (err, req, reply) => {
    const { result: r, unexpected } = mapError(err);
    if (unexpected) req.log.error({ err }, 'unexpected error');
    else req.log.warn({ resultCode: r.resultCode, reason: r.resultMessage }, 'request refused');
    return reply.code(httpStatusFor(r, err)).send({ result: r });
  });
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ result: result('PARAM_ILLEGAL', `No route ${req.method} ${req.url.split('?')[0]}`) }));

  const db = database.db;
  const customers = customerUseCases(customerRepository(db));
  const jobs: Job[] = [];
  const tokens = tokenUseCases({ uow: tokenUnitOfWork(db), repos: tokenRepos(db), clock, lifetimes: config });

  // Wallet ledger (issue 5): top-ups here; the cashier/cancel/refund use cases bind ledgerRepository(trx) in their own UnitOfWork.
  const wallet = walletUseCases({
    uow: unitOfWork(db, (trx) => ({ ledger: ledgerRepository(trx), customers: customerRepository(trx) })),
    queries: ledgerQueries(db),
    clock,
  });

  // Outbound Alipay+ calls (notifyPayment, inquiryCodeRules): signed, verified, 5 s per try.
  const alipayPlus = createAlipayPlusClient({
    baseUrl: config.alipayPlusBaseUrl,
    clientId: config.alipayPlusClientId,
    mppPrivateKey: secrets.mppPrivateKey,
    mppKeyVersion: config.mppKeyVersion,
    alipayPlusPublicKeys: secrets.alipayPlusPublicKeys,
    now: () => clock.now(),
  });
  jobs.push(notifyDispatcher({ db, client: alipayPlus, leaseMs: config.notifyLeaseMs, onAttempt: registerNotifyMetrics(metrics, db, clock), log: app.log }));

  // §6 code identification: rules loaded before the server listens (start-up blocked when none
  // loads), lists compiled in process and kept in step with Postgres on every instance.
  const codeRules = new CodeRuleBook({
    // Signed inquiryCodeRules calls when ALIPAYPLUS_BASE_URL is set; none otherwise (stored/preset rules).
    remote: deps.codeRulesSource === undefined ? (alipayPlus.configured ? alipayPlusCodeRules(alipayPlus) : undefined) : (deps.codeRulesSource ?? undefined),
    store: codeRuleSetStore(db),
    preset: deps.presetCodeRules ?? readPresetCodeRules,
    log: app.log,
  });
  await codeRules.loadInitial(clock.now()).catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  const codeListCache = new CodeListCache(codeListRepository(db), app.log);
  await codeListCache.refreshIfDue(clock.now()).catch((err: unknown) => app.log.warn({ err }, 'code lists not loaded yet; retried on use'));
  const remoteIdentify =
    deps.remoteCodeIdentification === undefined
      ? config.alipayPlusIdentifyUrl && remoteCodeIdentification({ url: config.alipayPlusIdentifyUrl, clientId: config.alipayPlusClientId, log: app.log })
      : deps.remoteCodeIdentification;
  const codes = codeIdentification({
    mode: config.codeIdentificationMode,
    lists: codeListCache,
    rules: codeRules,
    issuer: config.alipayPlusClientId,
    clock,
    ...(remoteIdentify && { remote: remoteIdentify }),
  });
  const codeLists = codeListManagement({ uow: codeListUnitOfWork(db), reads: codeListRepository(db), cache: codeListCache });
  jobs.push(codeRulesRefresher(codeRules), codeListsPoller(codeListCache));

  // Payments (§4, §5). onPaymentFinal runs inside the transaction of every PROCESSING -> final
  // change (sweeper batch, lazy close, cashier, cancel): the notify outbox is inserted there.
  const onPaymentFinal: PaymentFinalHook = enqueuePaymentNotifications;
  const paymentsUow = paymentUnitOfWork(db, { onFinal: onPaymentFinal });
  const pay = payUseCase({ store: payStore(db), uow: paymentsUow, clock, settings: config });
  const paymentReadUseCases = paymentReads({ queries: paymentQueries(db), uow: paymentsUow, clock });
  jobs.push(expirySweeper({ uow: paymentsUow }));
  // §5 after pay: the cashier, cancelPayment and refund bind payments + ledger (+ refunds) in one
  // transaction; every final change queues notifyPayment through onPaymentFinal.
  const afterPayUow = unitOfWork(db, (trx) => ({
    payments: paymentRepository(trx, { onFinal: onPaymentFinal }),
    ledger: ledgerRepository(trx),
    customers: customerRepository(trx),
    refunds: refundRepository(trx),
  }));
  const cashier = cashierUseCases({ queries: paymentQueries(db), uow: afterPayUow, clock, singlePaymentLimits: config.singlePaymentLimits });
  const cancelPayment = cancelPaymentUseCase({ queries: paymentQueries(db), uow: afterPayUow, clock });
  const refund = refundUseCase({ queries: paymentQueries(db), uow: afterPayUow, clock, settings: config });

  // GET /docs: openapi.yaml as interactive documentation.
  await registerDocs(app, { publicBaseUrl: config.publicBaseUrl });

  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const checks: Record<string, () => Promise<void>> = {
      database: () => pingDatabase(db),
      redis: () => kv.ping(),
      codeRules: () => codeRules.assertReady(),
      ...deps.readinessChecks,
    };
    const status: Record<string, string> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          status[name] = 'ok';
        } catch (err) {
          status[name] = err instanceof Error ? err.message.slice(0, 200) : 'failed';
        }
      }),
    );
    const ready = Object.values(status).every((s) => s === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: status });
  });

  await app.register(
    async (alipayplus) => {
      installEnvelope(alipayplus, {
        clientId: config.alipayPlusClientId,
        pspId: config.pspId,
        mppPrivateKey: secrets.mppPrivateKey,
        mppKeyVersion: config.mppKeyVersion,
        alipayPlusPublicKeys: secrets.alipayPlusPublicKeys,
        maxSkewSeconds: config.signatureMaxSkewSeconds,
        bodyLimitBytes: config.bodyLimitBytes,
        now: () => clock.now(),
      });
      await alipayplus.register(paymentRoutes, { pay, reads: paymentReadUseCases });
      await alipayplus.register(cancelRefundRoutes, { cancel: cancelPayment, refund });
      await alipayplus.register(authorizationRoutes, { tokens, acquirerId: config.alipayPlusAcquirerId });
    },
    { prefix: '/alipayplus/v1' },
  );

  // Browser: the cashier page at paymentUrl (HTML, its own error pages and security headers).
  await app.register(cashierRoutes, {
    prefix: '/cashier',
    cashier,
    clock,
    csrfKey: cashierCsrfKey(secrets),
    mppHomeUrl: config.mppHomeUrl,
    publicBaseUrl: config.publicBaseUrl,
  });

  await app.register(
    async (ops) => {
      // Limit first: every attempt counts per address, wrong tokens included (token guessing).
      installRateLimit(ops, { kv, limit: config.rateLimitOpsPerMinute, windowMs: 60_000, scope: 'ops', now: () => clock.now().getTime() });
      requireOpsToken(ops, secrets.opsApiToken);
      installHostileInputGuard(ops);
      await ops.register(customerRoutes, { customers, balanceOf: wallet.balanceOf });
      await ops.register(walletRoutes, { wallet });
      await ops.register(codeListRoutes, { codeLists });
    },
    { prefix: '/ops/v1' },
  );

  await app.register(
    async (appRoutes) => {
      requireAppUser(appRoutes, { secret: secrets.appJwtSecret, now: () => clock.now() });
      installRateLimit(appRoutes, {
        kv,
        limit: config.rateLimitAppPerMinute,
        windowMs: 60_000,
        scope: 'app',
        clientOf: (req) => req.customerId ?? req.ip,
        now: () => clock.now().getTime(),
      });
      installHostileInputGuard(appRoutes);
      await appRoutes.register(authCodeRoutes, { tokens });
      await appRoutes.register(codeRoutes, { codes });
      await appRoutes.register(appPaymentRoutes, { reads: paymentReadUseCases });
    },
    { prefix: '/app/v1' },
  );

  return { app, metrics, jobs };
}
