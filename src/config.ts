/**
 * Configuration: one zod schema over process.env, parsed once, frozen, units in the names.
 * The variable names are fixed by ../shared/spec/service-interface.md; every bad variable is
 * named in one message and start-up stops.
 */
import { z } from 'zod';

/** Token lifetime floors of the contract (§3): access > 10 minutes, refresh > 1.5 years. */
export const ACCESS_TOKEN_TTL_FLOOR_SECONDS = 600;
/** Where Ant's SDK asks Alipay+ about codes of untrusted rules, under its host (fact 12). */
export const REMOTE_IDENTIFY_PATH = '/api/open/common_form_data/extensions/identify/code.htm';
export const REFRESH_TOKEN_TTL_FLOOR_SECONDS = Math.ceil(1.5 * 365.25 * 24 * 3600);

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const url = (protocols: string[]) =>
  z.string().refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL (${protocols.join(' or ')})`,
  );

const digitsOnly = (max: number) => z.string().regex(new RegExp(`^[0-9]{1,${max}}$`), `digits only, at most ${max}`);

/** `CUR:valueMinor` pairs, e.g. `KRW:5000000,USD:100000`: the single-payment limit per wallet currency. */
const limitsSchema = z
  .string()
  .regex(/^([A-Z]{3}:[0-9]{1,18})(,[A-Z]{3}:[0-9]{1,18})*$/, 'comma-separated CUR:valueMinor pairs')
  .transform((s) => Object.freeze(Object.fromEntries(s.split(',').map((p) => [p.slice(0, 3), BigInt(p.slice(4))]))));

/** `label:token` pairs: label 1-64 of [A-Za-z0-9_.-], token at least 24 printable characters. */
const opsTokensSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]{1,64}:[\x21-\x2b\x2d-\x7e]{24,}(,[A-Za-z0-9_.-]{1,64}:[\x21-\x2b\x2d-\x7e]{24,})*$/,
    'comma-separated label:token pairs (token at least 24 characters, no commas)',
  )
  .transform((s) => Object.freeze(s.split(',').map((p) => ({ label: p.slice(0, p.indexOf(':')), token: p.slice(p.indexOf(':') + 1) }))));

const schema = z.object({
  HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  PORT: z.preprocess(emptyToUndefined, intFrom(0, 65535).default(3000)),
  DATABASE_URL: z.preprocess(emptyToUndefined, url(['postgres:', 'postgresql:']).optional()),
  REDIS_URL: z.preprocess(emptyToUndefined, url(['redis:', 'rediss:']).optional()),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  PUBLIC_BASE_URL: z.preprocess(emptyToUndefined, url(['http:', 'https:']).optional()),
  MPP_PSP_ID: z.preprocess(emptyToUndefined, digitsOnly(64).default('1022088000000000001')),
  MPP_PRIVATE_KEY: optionalString,
  MPP_KEY_VERSION: z.preprocess(emptyToUndefined, digitsOnly(9).default('1')),
  ALIPAYPLUS_CLIENT_ID: z.preprocess(emptyToUndefined, z.string().max(64).default('SANDBOX_CLIENT')),
  ALIPAYPLUS_PUBLIC_KEY: optionalString,
  ALIPAYPLUS_KEY_VERSION: z.preprocess(emptyToUndefined, digitsOnly(9).default('1')),
  ALIPAYPLUS_BASE_URL: z.preprocess(emptyToUndefined, url(['http:', 'https:']).optional()),
  // Remote identification of untrusted code rules (code-identification-sdk.md fact 12).
  ALIPAYPLUS_IDENTIFY_URL: z.preprocess(emptyToUndefined, url(['http:', 'https:']).optional()),
  ALIPAYPLUS_ACQUIRER_ID: z.preprocess(emptyToUndefined, digitsOnly(64).default('2052666000000000')),
  SIGNATURE_MAX_SKEW_SECONDS: z.preprocess(emptyToUndefined, intFrom(1, 86_400).default(600)),
  ORDER_EXPIRY_SECONDS: z.preprocess(emptyToUndefined, intFrom(10, 86_400).default(180)),
  // §3 floors on the fields themselves (not in a refinement of the whole object, which zod skips
  // when any other variable is bad): every bad variable is named in the one message.
  ACCESS_TOKEN_TTL_SECONDS: z.preprocess(
    emptyToUndefined,
    intFrom(1, 31_536_000)
      .refine((v) => v > ACCESS_TOKEN_TTL_FLOOR_SECONDS, `must be above ${ACCESS_TOKEN_TTL_FLOOR_SECONDS} (§3: access token validity above 10 minutes)`)
      .default(3600),
  ),
  REFRESH_TOKEN_TTL_SECONDS: z.preprocess(
    emptyToUndefined,
    intFrom(1, 10 * 31_622_400)
      .refine((v) => v > REFRESH_TOKEN_TTL_FLOOR_SECONDS, `must be above ${REFRESH_TOKEN_TTL_FLOOR_SECONDS} (§3: refresh token validity above 1.5 years)`)
      .default(2 * 31_622_400),
  ),
  AUTH_CODE_TTL_SECONDS: z.preprocess(emptyToUndefined, intFrom(10, 3600).default(300)),
  // §3 revision 2: how long a rotated refresh token and its access tokens keep working.
  REFRESH_GRACE_SECONDS: z.preprocess(emptyToUndefined, intFrom(1, 86_400).default(300)),
  // §6 revision 2: an unsigned inquiryCodeRules answer is accepted over https (and counted);
  // over http only when this is true.
  CODE_RULES_ACCEPT_UNSIGNED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
  APP_JWT_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, 'at least 32 characters').optional()),
  OPS_API_TOKEN: z.preprocess(emptyToUndefined, z.string().min(24, 'at least 24 characters').optional()),
  // Issue 16: more ops tokens, each with the label recorded with what it does: `label:token,...`.
  OPS_API_TOKENS: z.preprocess(emptyToUndefined, opsTokensSchema.optional()),
  // Issue 16: the largest single top-up per currency (`CUR:valueMinor,...`); a currency not named has no cap.
  TOP_UP_MAX_AMOUNTS: z.preprocess(emptyToUndefined, limitsSchema.optional()),
  CODE_IDENTIFICATION_MODE: z.preprocess(emptyToUndefined, z.enum(['ALLOWLIST', 'BLOCKLIST']).default('ALLOWLIST')),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  // Our own knobs (not in the interface page), each with a safe default.
  FX_ROUNDING_MODE: z.preprocess(emptyToUndefined, z.enum(['ROUND_HALF_UP', 'ROUND_HALF_EVEN', 'ROUND_DOWN', 'ROUND_UP']).default('ROUND_HALF_UP')),
  FX_TOLERANCE_MINOR: z.preprocess(emptyToUndefined, intFrom(0, 1000).default(1)),
  SINGLE_PAYMENT_LIMITS: z.preprocess(emptyToUndefined, limitsSchema.optional()),
  MPP_HOME_URL: z.preprocess(emptyToUndefined, z.string().max(2048).default('/')),
  BODY_LIMIT_BYTES: z.preprocess(emptyToUndefined, intFrom(1024, 1_048_576).default(65_536)),
  REQUEST_TIMEOUT_MS: z.preprocess(emptyToUndefined, intFrom(100, 60_000).default(7000)),
  // §1: Alipay+ gives inquiry and token calls 5 s; answer U before that when a dependency is slow.
  HANDLER_TIMEOUT_MS: z.preprocess(emptyToUndefined, intFrom(50, 60_000).default(4000)),
  DB_POOL_SIZE: z.preprocess(emptyToUndefined, intFrom(1, 200).default(10)),
  JOBS_ENABLED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('true')),
  RATE_LIMIT_APP_PER_MINUTE: z.preprocess(emptyToUndefined, intFrom(0, 10_000_000).default(600)),
  RATE_LIMIT_OPS_PER_MINUTE: z.preprocess(emptyToUndefined, intFrom(0, 10_000_000).default(1200)),
  // Issue 16: per peer address. Alipay+'s Client-Id on the Alipay+ routes has a budget far above
  // its traffic; the cashier and /readyz have the public one (each its own count).
  RATE_LIMIT_ALIPAYPLUS_PER_MINUTE: z.preprocess(emptyToUndefined, intFrom(0, 100_000_000).default(600_000)),
  RATE_LIMIT_PUBLIC_PER_MINUTE: z.preprocess(emptyToUndefined, intFrom(0, 10_000_000).default(600)),
  ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE: z.preprocess(emptyToUndefined, intFrom(0, 10_000_000).default(60)),
  // Issue 16: outbound URLs (paymentNotifyUrl, the URLs code rules hand to the app).
  NOTIFY_URL_ALLOWED_HOSTS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^(\*\.)?[A-Za-z0-9.:[\]_-]{1,253}(,(\*\.)?[A-Za-z0-9.:[\]_-]{1,253})*$/, 'comma-separated host names (*.suffix for subdomains)')
      .optional(),
  ),
  OUTBOUND_HTTP_ALLOWED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
  OUTBOUND_PRIVATE_ADDRESSES_ALLOWED: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
  // Issue 16: retention ages (days) and the batch per kind per run of the retention job.
  RETENTION_DELIVERED_NOTIFICATIONS_DAYS: z.preprocess(emptyToUndefined, intFrom(1, 3650).default(30)),
  RETENTION_AUTH_CODES_DAYS: z.preprocess(emptyToUndefined, intFrom(1, 3650).default(7)),
  RETENTION_TOKENS_DAYS: z.preprocess(emptyToUndefined, intFrom(1, 3650).default(30)),
  RETENTION_ORDER_ENV_DAYS: z.preprocess(emptyToUndefined, intFrom(1, 3650).default(90)),
  RETENTION_BATCH_SIZE: z.preprocess(emptyToUndefined, intFrom(1, 100_000).default(1000)),
  DB_STATEMENT_TIMEOUT_MS: z.preprocess(emptyToUndefined, intFrom(0, 600_000).default(3000)),
  NOTIFY_LEASE_MS: z.preprocess(emptyToUndefined, intFrom(6_000, 3_600_000).default(60_000)),
  // §8 userInitiatedPay: one try's timeout, and how many tries fit (all within HANDLER_TIMEOUT_MS).
  USER_INITIATED_PAY_TIMEOUT_MS: z.preprocess(emptyToUndefined, intFrom(100, 30_000).default(1200)),
  USER_INITIATED_PAY_ATTEMPTS: z.preprocess(emptyToUndefined, intFrom(1, 10).default(3)),
  // §5 the cashier session cookie's lifetime (short: the webview gets a new one on every open).
  CASHIER_SESSION_SECONDS: z.preprocess(emptyToUndefined, intFrom(30, 3600).default(900)),
});

type Parsed = z.infer<typeof schema>;

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly dataDir: string;
  readonly publicBaseUrl: string;
  readonly pspId: string;
  readonly mppPrivateKey: string | undefined;
  readonly mppKeyVersion: string;
  readonly alipayPlusClientId: string;
  readonly alipayPlusPublicKey: string | undefined;
  readonly alipayPlusKeyVersion: string;
  readonly alipayPlusBaseUrl: string | undefined;
  /** ALIPAYPLUS_IDENTIFY_URL, else `{ALIPAYPLUS_BASE_URL}/api/open/common_form_data/extensions/identify/code.htm`; none without either. */
  readonly alipayPlusIdentifyUrl: string | undefined;
  readonly alipayPlusAcquirerId: string;
  readonly signatureMaxSkewSeconds: number;
  readonly orderExpirySeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly authCodeTtlSeconds: number;
  /** §3: a rotated refresh token (and the access tokens issued before) keep working this long. */
  readonly refreshGraceSeconds: number;
  /** §6: accept an unsigned inquiryCodeRules answer over http too (over https it always is, and counted). */
  readonly codeRulesAcceptUnsigned: boolean;
  readonly appJwtSecret: string | undefined;
  readonly opsApiToken: string | undefined;
  /** More ops tokens with their labels (OPS_API_TOKEN itself is labelled `ops`). */
  readonly opsApiTokens: readonly { readonly label: string; readonly token: string }[];
  /** The largest single top-up per currency, minor units. */
  readonly topUpMaxAmounts: Readonly<Record<string, bigint>>;
  readonly codeIdentificationMode: 'ALLOWLIST' | 'BLOCKLIST';
  readonly logLevel: Parsed['LOG_LEVEL'];
  readonly fxRoundingMode: Parsed['FX_ROUNDING_MODE'];
  readonly fxToleranceMinor: bigint;
  readonly singlePaymentLimits: Readonly<Record<string, bigint>>;
  readonly mppHomeUrl: string;
  readonly bodyLimitBytes: number;
  /** Time to receive a whole request (headers and body) from the client: slow senders get 408. */
  readonly requestTimeoutMs: number;
  /** Time from routing to the answer; past it the answer is U UNKNOWN_EXCEPTION (503 off the Alipay+ routes). */
  readonly handlerTimeoutMs: number;
  readonly dbPoolSize: number;
  readonly jobsEnabled: boolean;
  /** Requests per client per minute on /app and /ops; 0 turns the limit off. */
  readonly rateLimitAppPerMinute: number;
  readonly rateLimitOpsPerMinute: number;
  /** Per peer address: Alipay+'s Client-Id on the Alipay+ routes; 0 turns the limit off. */
  readonly rateLimitAlipayPlusPerMinute: number;
  /** Per peer address: the cashier and /readyz (each its own count). */
  readonly rateLimitPublicPerMinute: number;
  /** Refusals before a verified signature answered signed per peer per minute; then unsigned (0: always signed). */
  readonly alipayPlusSignedRefusalsPerMinute: number;
  /** Hosts a paymentNotifyUrl may name (`*.suffix` for subdomains); default: ALIPAYPLUS_BASE_URL's host. */
  readonly notifyUrlAllowedHosts: readonly string[];
  /** http (not only https) for outbound URLs: local runs only. */
  readonly outboundHttpAllowed: boolean;
  /** Internal and loopback addresses in outbound URLs: local runs only. */
  readonly outboundPrivateAddressesAllowed: boolean;
  /** Issue 16 retention: days after delivery / use or expiry / expiry or revocation / acceptance. */
  readonly retentionDeliveredNotificationsDays: number;
  readonly retentionAuthCodesDays: number;
  readonly retentionTokensDays: number;
  readonly retentionOrderEnvDays: number;
  /** Rows per kind per run of the retention job. */
  readonly retentionBatchSize: number;
  /** Postgres `statement_timeout` of the service's sessions (0: none). */
  readonly dbStatementTimeoutMs: number;
  /** §5 how long a claimed notifyPayment row is hidden from other instances (must exceed a send's 5 s timeout). */
  readonly notifyLeaseMs: number;
  /** §8 userInitiatedPay: the timeout of one try; tries stop when the next would not end inside HANDLER_TIMEOUT_MS. */
  readonly userInitiatedPayTimeoutMs: number;
  readonly userInitiatedPayAttempts: number;
  /** §5 lifetime of the cashier session cookie the app JWT is exchanged for. */
  readonly cashierSessionSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Bad configuration, start-up stopped:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Production fails closed (issue 16): with DATABASE_URL set, the signing keys and the app and ops
 * secrets must be configured; dev material is generated (and printed) only on the embedded
 * default. Checked beside the schema so that these are named together with every other bad variable.
 */
export const PRODUCTION_SECRETS = ['MPP_PRIVATE_KEY', 'ALIPAYPLUS_PUBLIC_KEY', 'APP_JWT_SECRET', 'OPS_API_TOKEN'] as const;

function missingProductionSecrets(env: Record<string, string | undefined>): string[] {
  if (emptyToUndefined(env.DATABASE_URL) === undefined) return [];
  return PRODUCTION_SECRETS.filter((name) => emptyToUndefined(env[name]) === undefined).map(
    (name) => `${name}: required when DATABASE_URL is set (dev secrets are generated only on the embedded default)`,
  );
}

export interface LoadConfigOptions {
  /** 'migrate' (`npm run migrate`) needs no secrets; 'serve' (the default) fails closed without them. */
  readonly purpose?: 'serve' | 'migrate';
}

/** Parses the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, o: LoadConfigOptions = {}): Config {
  const parsed = schema.safeParse(env);
  const missing = o.purpose === 'migrate' ? [] : missingProductionSecrets(env);
  if (!parsed.success || missing.length > 0) {
    const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError([...new Set([...problems, ...missing])]);
  }
  const c = parsed.data;
  return Object.freeze({
    host: c.HOST,
    port: c.PORT,
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    dataDir: c.DATA_DIR,
    publicBaseUrl: (c.PUBLIC_BASE_URL ?? `http://${c.HOST}:${c.PORT}`).replace(/\/+$/, ''),
    pspId: c.MPP_PSP_ID,
    mppPrivateKey: c.MPP_PRIVATE_KEY,
    mppKeyVersion: c.MPP_KEY_VERSION,
    alipayPlusClientId: c.ALIPAYPLUS_CLIENT_ID,
    alipayPlusPublicKey: c.ALIPAYPLUS_PUBLIC_KEY,
    alipayPlusKeyVersion: c.ALIPAYPLUS_KEY_VERSION,
    alipayPlusBaseUrl: c.ALIPAYPLUS_BASE_URL?.replace(/\/+$/, ''),
    alipayPlusIdentifyUrl: c.ALIPAYPLUS_IDENTIFY_URL ?? (c.ALIPAYPLUS_BASE_URL && `${c.ALIPAYPLUS_BASE_URL.replace(/\/+$/, '')}${REMOTE_IDENTIFY_PATH}`),
    alipayPlusAcquirerId: c.ALIPAYPLUS_ACQUIRER_ID,
    signatureMaxSkewSeconds: c.SIGNATURE_MAX_SKEW_SECONDS,
    orderExpirySeconds: c.ORDER_EXPIRY_SECONDS,
    accessTokenTtlSeconds: c.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: c.REFRESH_TOKEN_TTL_SECONDS,
    authCodeTtlSeconds: c.AUTH_CODE_TTL_SECONDS,
    refreshGraceSeconds: c.REFRESH_GRACE_SECONDS,
    codeRulesAcceptUnsigned: c.CODE_RULES_ACCEPT_UNSIGNED === 'true',
    appJwtSecret: c.APP_JWT_SECRET,
    opsApiToken: c.OPS_API_TOKEN,
    opsApiTokens: c.OPS_API_TOKENS ?? [],
    topUpMaxAmounts: c.TOP_UP_MAX_AMOUNTS ?? Object.freeze({}),
    codeIdentificationMode: c.CODE_IDENTIFICATION_MODE,
    logLevel: c.LOG_LEVEL,
    fxRoundingMode: c.FX_ROUNDING_MODE,
    fxToleranceMinor: BigInt(c.FX_TOLERANCE_MINOR),
    singlePaymentLimits: c.SINGLE_PAYMENT_LIMITS ?? Object.freeze({}),
    mppHomeUrl: c.MPP_HOME_URL,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    handlerTimeoutMs: c.HANDLER_TIMEOUT_MS,
    dbPoolSize: c.DB_POOL_SIZE,
    jobsEnabled: c.JOBS_ENABLED === 'true',
    rateLimitAppPerMinute: c.RATE_LIMIT_APP_PER_MINUTE,
    rateLimitOpsPerMinute: c.RATE_LIMIT_OPS_PER_MINUTE,
    rateLimitAlipayPlusPerMinute: c.RATE_LIMIT_ALIPAYPLUS_PER_MINUTE,
    rateLimitPublicPerMinute: c.RATE_LIMIT_PUBLIC_PER_MINUTE,
    alipayPlusSignedRefusalsPerMinute: c.ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE,
    dbStatementTimeoutMs: c.DB_STATEMENT_TIMEOUT_MS,
    retentionDeliveredNotificationsDays: c.RETENTION_DELIVERED_NOTIFICATIONS_DAYS,
    retentionAuthCodesDays: c.RETENTION_AUTH_CODES_DAYS,
    retentionTokensDays: c.RETENTION_TOKENS_DAYS,
    retentionOrderEnvDays: c.RETENTION_ORDER_ENV_DAYS,
    retentionBatchSize: c.RETENTION_BATCH_SIZE,
    notifyUrlAllowedHosts: Object.freeze(c.NOTIFY_URL_ALLOWED_HOSTS?.split(',') ?? (c.ALIPAYPLUS_BASE_URL ? [new URL(c.ALIPAYPLUS_BASE_URL).hostname] : [])),
    outboundHttpAllowed: c.OUTBOUND_HTTP_ALLOWED === 'true',
    outboundPrivateAddressesAllowed: c.OUTBOUND_PRIVATE_ADDRESSES_ALLOWED === 'true',
    notifyLeaseMs: c.NOTIFY_LEASE_MS,
    userInitiatedPayTimeoutMs: c.USER_INITIATED_PAY_TIMEOUT_MS,
    userInitiatedPayAttempts: c.USER_INITIATED_PAY_ATTEMPTS,
    cashierSessionSeconds: c.CASHIER_SESSION_SECONDS,
  });
}
