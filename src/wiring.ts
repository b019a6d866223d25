/**
 * The one place where repositories, use cases and jobs are built: each once, then passed to the
 * routes (http/) and the job loop (server.ts). Nothing here talks to the network or the database;
 * the start-up work (loading code rules) is `startUp`, which app.ts's start() runs.
 */
import type { Config } from './config.ts';
import type { Secrets } from './secrets.ts';
import { createAlipayPlusClient } from './alipayplus/client.ts';
import { alipayPlusCodeRules, readPresetCodeRules } from './adapters/code-rules-source.ts';
import { remoteCodeIdentification } from './adapters/remote-code-identification.ts';
import { userInitiatedPayGateway } from './adapters/user-initiated-pay.ts';
import { CodeListCache } from './domain/codes/list-cache.ts';
import type { RemoteCodeIdentification, RemoteCodeRules } from './domain/codes/ports.ts';
import { CodeRuleBook } from './domain/codes/rule-book.ts';
import { type CodeIdentificationUseCase, type CodeListManagement, codeIdentification, codeListManagement } from './domain/codes/use-cases.ts';
import { type CustomerUseCases, customerUseCases } from './domain/customers/use-cases.ts';
import { type CancelPaymentUseCase, cancelPaymentUseCase } from './domain/payments/cancel.ts';
import { type CashierUseCases, cashierUseCases } from './domain/payments/cashier.ts';
import { type InitiatePaymentUseCase, initiatePaymentUseCase } from './domain/payments/initiate.ts';
import { type PaymentReads, paymentReads } from './domain/payments/inquiry.ts';
import { type PayUseCase, payUseCase } from './domain/payments/pay.ts';
import { type SyncPayUseCase, syncPayUseCase } from './domain/payments/sync-pay.ts';
import { type PaymentCodeUseCase, paymentCodeUseCase } from './domain/payments/payment-codes.ts';
import { type AgreementUseCases, agreementUseCases } from './domain/agreements/unbinding.ts';
import { agreementGateway, paymentCodeGateway } from './adapters/alipayplus-gateways.ts';
import { tokenSealer } from './adapters/token-seal.ts';
import { agreementRepository, agreementTokens } from './persistence/agreements-repository.ts';
import { agreementUnbinder } from './jobs/agreement-unbinder.ts';
import type { Clock, Logger } from './domain/ports.ts';
import { type RefundUseCase, refundUseCase } from './domain/refunds/refund.ts';
import { type TokenUseCases, tokenUseCases } from './domain/tokens/use-cases.ts';
import { type WalletUseCases, walletUseCases } from './domain/wallet/use-cases.ts';
import { codeListsPoller, codeRulesRefresher } from './jobs/code-identification.ts';
import { expirySweeper } from './jobs/expiry-sweeper.ts';
import { batchSizeHistogram, type Metrics, registerNotifyMetrics, unsignedCodeRulesCounter } from './http/metrics.ts';
import type { Job } from './jobs/loop.ts';
import { notifyDispatcher } from './jobs/notify-dispatcher.ts';
import { codeListRepository, codeListUnitOfWork } from './persistence/code-lists-repository.ts';
import { codeRuleSetStore } from './persistence/code-rule-sets-repository.ts';
import { GROUP_COMMIT, type GroupCommitOptions } from './persistence/group-commit.ts';
import { customerRepository } from './persistence/customers-repository.ts';
import { type DatabaseHandle, databaseLoad } from './persistence/database.ts';
import { ledgerQueries, ledgerRepository } from './persistence/ledger-repository.ts';
import { notificationQueue, notifyOutbox } from './persistence/notify-outbox-repository.ts';
import { payStore } from './persistence/pay-store.ts';
import { syncPayStore } from './persistence/sync-pay-store.ts';
import { paymentQueries } from './persistence/payment-queries.ts';
import { paymentRepository, paymentUnitOfWork } from './persistence/payments-repository.ts';
import { refundRepository } from './persistence/refunds-repository.ts';
import { tokenRepos, tokenUnitOfWork } from './persistence/tokens-repository.ts';
import { unitOfWork } from './persistence/unit-of-work.ts';
import { Counter } from 'prom-client';
import type { OutboundUrlPolicy } from './domain/outbound-url.ts';
import type { TopUpRecord } from './domain/wallet/ports.ts';
import { retentionJob } from './jobs/retention.ts';
import { retentionRepository } from './persistence/retention-repository.ts';
import { topUpAudit, topUpHistory } from './persistence/top-ups-repository.ts';

/** Every use case, built once; the audience plugins take what they serve. */
export interface Services {
  readonly customers: CustomerUseCases;
  readonly tokens: TokenUseCases;
  readonly wallet: WalletUseCases;
  readonly pay: PayUseCase;
  readonly initiatePayment: InitiatePaymentUseCase;
  /** §9 payment codes and §10 Auto Debit: the pay that debits at once. */
  readonly syncPay: SyncPayUseCase;
  /** §9 the app's payment codes, from Alipay+'s getPaymentCode. */
  readonly paymentCodes: PaymentCodeUseCase;
  /** §10 the app's Auto Debit agreements and their unbinding outbox. */
  readonly agreements: AgreementUseCases;
  readonly paymentReads: PaymentReads;
  readonly cashier: CashierUseCases;
  readonly cancelPayment: CancelPaymentUseCase;
  readonly refund: RefundUseCase;
  readonly codes: CodeIdentificationUseCase;
  readonly codeLists: CodeListManagement;
  /** Issue 16: a customer's ops top-ups (who, why), newest first. */
  readonly topUpHistory: (customerId: string, limit: number) => Promise<readonly TopUpRecord[]>;
}

/**
 * Issue 16: the URLs we call (paymentNotifyUrl) or hand to the app (a code rule's redirectUrl):
 * https and public unless configured for local runs; for notify, an allowed host too.
 */
export function outboundUrlPolicies(config: Config): { readonly notify: OutboundUrlPolicy; readonly redirect: OutboundUrlPolicy } {
  const redirect = { allowHttp: config.outboundHttpAllowed, allowPrivateAddresses: config.outboundPrivateAddressesAllowed };
  return { redirect, notify: { ...redirect, allowedHosts: config.notifyUrlAllowedHosts } };
}

export interface WiringDeps {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly database: DatabaseHandle;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** §6 inquiryCodeRules source; default: signed calls to ALIPAYPLUS_BASE_URL when set. null: none. */
  readonly codeRulesSource?: RemoteCodeRules | null | undefined;
  /** Remote identification of untrusted code rules; default: ALIPAYPLUS_IDENTIFY_URL when set. null: none. */
  readonly remoteCodeIdentification?: RemoteCodeIdentification | null | undefined;
  /** §6 preset code rules; default: src/adapters/code-rules-preset.json. */
  readonly presetCodeRules?: (() => Promise<unknown>) | undefined;
}

export interface Wiring {
  readonly services: Services;
  readonly codeRules: CodeRuleBook;
  readonly codeListCache: CodeListCache;
  /** Background jobs (sweeper, notify dispatcher, code-rule refresher, code-list poller). */
  readonly jobs: readonly Job[];
  /** Start-up work: code rules loaded (throws when none loads), code lists warmed (retried on use). */
  startUp(): Promise<void>;
}

export function wire(deps: WiringDeps): Wiring {
  const { config, secrets, database, clock, log, metrics } = deps;
  const db = database.db;

  // Outbound Alipay+ calls (notifyPayment, inquiryCodeRules): signed, verified, 5 s per try.
  const alipayPlus = createAlipayPlusClient({
    baseUrl: config.alipayPlusBaseUrl,
    clientId: config.alipayPlusClientId,
    mppPrivateKey: secrets.mppPrivateKey,
    mppKeyVersion: config.mppKeyVersion,
    alipayPlusPublicKeys: secrets.alipayPlusPublicKeys,
    maxSkewSeconds: config.signatureMaxSkewSeconds,
    notifyUrlPolicy: outboundUrlPolicies(config).notify,
    now: () => clock.now(),
  });

  // §8 userInitiatedPay: the same signed client, with a per-try timeout that leaves room for
  // retries inside the app's wait (initiate.ts).
  const userInitiatedPay = userInitiatedPayGateway(
    createAlipayPlusClient({
      baseUrl: config.alipayPlusBaseUrl,
      clientId: config.alipayPlusClientId,
      mppPrivateKey: secrets.mppPrivateKey,
      mppKeyVersion: config.mppKeyVersion,
      alipayPlusPublicKeys: secrets.alipayPlusPublicKeys,
      now: () => clock.now(),
      timeoutMs: config.userInitiatedPayTimeoutMs,
    }),
  );

  // Payments (§4, §5). Every PROCESSING -> final change (sweeper batch, lazy close, cashier,
  // cancel) queues notifyPayment in its own transaction through the domain's NotifyOutbox port.
  const paymentsUow = paymentUnitOfWork(db, { outbox: notifyOutbox });
  // §5 after pay: the cashier, cancelPayment and refund bind payments + ledger (+ refunds) in one transaction.
  const afterPayUow = unitOfWork(db, (trx) => ({
    payments: paymentRepository(trx, { outbox: notifyOutbox }),
    ledger: ledgerRepository(trx),
    customers: customerRepository(trx),
    refunds: refundRepository(trx),
  }));
  // Group commit (persistence/group-commit.ts), with its batch sizes per statement on /metrics.
  const batching: GroupCommitOptions = { ...GROUP_COMMIT, onBatch: batchSizeHistogram(metrics) };
  const queries = paymentQueries(db, batching);

  // §6 code identification: rules loaded by startUp before the server listens, lists compiled in
  // process and kept in step with Postgres on every instance.
  const codeRules = new CodeRuleBook({
    // Signed inquiryCodeRules calls when ALIPAYPLUS_BASE_URL is set; none otherwise (stored/preset rules).
    remote:
      deps.codeRulesSource === undefined
        ? alipayPlus.configured
          ? alipayPlusCodeRules(alipayPlus, { acceptUnsignedOverHttp: config.codeRulesAcceptUnsigned, onUnsigned: unsignedCodeRulesCounter(metrics), log })
          : undefined
        : (deps.codeRulesSource ?? undefined),
    store: codeRuleSetStore(db),
    preset: deps.presetCodeRules ?? readPresetCodeRules,
    log,
  });
  const codeListCache = new CodeListCache(codeListRepository(db), log);
  // Fact 12 of code-identification-sdk.md: codes whose winning rule is untrusted are asked of Alipay+.
  const remoteIdentify =
    deps.remoteCodeIdentification === undefined
      ? config.alipayPlusIdentifyUrl && remoteCodeIdentification({ url: config.alipayPlusIdentifyUrl, clientId: config.alipayPlusClientId, log })
      : deps.remoteCodeIdentification;

  // §10 the live access token of an Auto Debit agreement, sealed for the unbinding calls.
  const sealer = tokenSealer(secrets.mppPrivateKey);
  const tokens = tokenUseCases({ uow: tokenUnitOfWork(db), repos: tokenRepos(db, batching), clock, settings: config, agreements: agreementTokens(db, sealer) });
  const agreements = agreementUseCases({ repo: agreementRepository(db, sealer), gateway: agreementGateway(alipayPlus), clock, log });
  const pay = payUseCase({ store: payStore(db, batching), uow: paymentsUow, clock, settings: config });
  const codes = codeIdentification({
    mode: config.codeIdentificationMode,
    lists: codeListCache,
    rules: codeRules,
    issuer: config.alipayPlusClientId,
    clock,
    ...(remoteIdentify && { remote: remoteIdentify }),
  });
  const services: Services = {
    customers: customerUseCases({ repo: customerRepository(db), clock }),
    tokens,
    wallet: walletUseCases({
      uow: unitOfWork(db, (trx) => ({ ledger: ledgerRepository(trx), customers: customerRepository(trx), topUps: topUpAudit(trx) })),
      queries: ledgerQueries(db),
      clock,
      maxTopUp: config.topUpMaxAmounts,
    }),
    pay,
    initiatePayment: initiatePaymentUseCase({
      identify: (codeValue) => codes.identify(codeValue),
      gateway: userInitiatedPay,
      pay,
      settings: config,
      notifyUrlPolicy: outboundUrlPolicies(config).notify,
    }),
    syncPay: syncPayUseCase({ store: syncPayStore(db, batching), agreements: tokens, clock, settings: config }),
    paymentCodes: paymentCodeUseCase({ customers: customerRepository(db), gateway: paymentCodeGateway(alipayPlus) }),
    agreements,
    paymentReads: paymentReads({ queries, uow: paymentsUow, clock }),
    cashier: cashierUseCases({ queries, uow: afterPayUow, clock, settings: config }),
    cancelPayment: cancelPaymentUseCase({ queries, uow: afterPayUow, clock }),
    refund: refundUseCase({ queries, uow: afterPayUow, clock, settings: config }),
    codes,
    codeLists: codeListManagement({ uow: codeListUnitOfWork(db), reads: codeListRepository(db), cache: codeListCache }),
    topUpHistory: topUpHistory(db),
  };
  // Issue 16: retention of what is finished (notifications, auth codes, tokens, device data).
  const retentionDeleted = new Counter({
    name: 'mpp_retention_deleted_total',
    help: 'Rows deleted (or stripped) by the retention job, by kind',
    labelNames: ['kind'],
    registers: [metrics.registry],
  });

  const notifications = notificationQueue(db);
  const jobs: Job[] = [
    notifyDispatcher({ queue: notifications, client: alipayPlus, leaseMs: config.notifyLeaseMs, onAttempt: registerNotifyMetrics(metrics, notifications, clock), log }),
    codeRulesRefresher(codeRules),
    codeListsPoller(codeListCache),
    expirySweeper({ uow: paymentsUow, load: databaseLoad(db) }),
    agreementUnbinder(agreements),
    retentionJob({ repo: retentionRepository(db), settings: config, onDeleted: (kind, n) => retentionDeleted.inc({ kind }, n) }),
  ];

  return {
    services,
    codeRules,
    codeListCache,
    jobs,
    async startUp() {
      await codeRules.loadInitial(clock.now());
      await codeListCache.refreshIfDue(clock.now()).catch((err: unknown) => log.warn({ err }, 'code lists not loaded yet; retried on use'));
    },
  };
}
