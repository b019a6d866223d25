/**
 * Test harness: a real Postgres (DATABASE_URL, one fresh schema per database handle) and a real
 * Redis (REDIS_URL, one key prefix per store) when the environment names them, otherwise the
 * embedded engines. When CI says the servers are there (REQUIRE_REAL_SERVICES=1) and they are
 * not, tests fail rather than quietly fall back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { MemoryStore } from '../../src/adapters/memory-store.ts';
import { RedisStore } from '../../src/adapters/redis-store.ts';
import { type AppDeps, buildApp, type BuiltApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { Clock, KeyValueStore } from '../../src/domain/ports.ts';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { loadPrivateKey, loadPublicKey, parseSignatureHeader, sign, signatureHeader, verify } from '../../src/alipayplus/signature.ts';
import { createDatabase, type DatabaseHandle, quoteIdent } from '../../src/persistence/database.ts';
import { MIGRATIONS_DIR, migrateToLatest } from '../../src/persistence/migrate.ts';
import { resolveSecrets, type Secrets } from '../../src/secrets.ts';
import { checkResponsesAgainstOpenApi } from './openapi.ts';
import { sharedSigningDir } from './shared.ts';

export const realPostgres = Boolean(process.env.DATABASE_URL);
export const realRedis = Boolean(process.env.REDIS_URL);

function assertServicesWhenRequired(): void {
  if (process.env.REQUIRE_REAL_SERVICES === '1' && (!realPostgres || !realRedis)) {
    throw new Error('REQUIRE_REAL_SERVICES=1 but DATABASE_URL or REDIS_URL is not set: refusing to fall back to embedded engines');
  }
}

export interface TestDatabase extends DatabaseHandle {
  readonly schema?: string;
}

/** A migrated database of its own: a fresh schema on the real Postgres, or an in-memory PGlite. */
export async function testDatabase(opts: { poolSize?: number; schema?: string } = {}): Promise<TestDatabase> {
  assertServicesWhenRequired();
  if (realPostgres) {
    const schema = opts.schema ?? `t_${randomBytes(6).toString('hex')}`;
    const handle = createDatabase({ url: process.env.DATABASE_URL, poolSize: opts.poolSize ?? 10, schema });
    await migrateToLatest(handle.db, { schema });
    return {
      ...handle,
      schema,
      async close() {
        if (!opts.schema) await sql`drop schema if exists ${sql.raw(quoteIdent(schema))} cascade`.execute(handle.db).catch(() => undefined);
        await handle.close();
      },
    };
  }
  return createDatabase({ dataDir: 'memory://', loadDataDir: await migratedPgliteImage() });
}

/**
 * A dump of a migrated PGlite data directory, made once for a given set of migrations and PGlite
 * version and kept in the temp folder, so that every test process (vitest runs each file in one)
 * loads it instead of building its own. On the 2-core vm a new in-memory PGlite took 2.7 to 3.7 s
 * (its initdb) and the migrations 0.35 to 0.5 s more; loading the dump takes about 0.6 s. Two
 * processes that build it at once each write their own file and rename it into place.
 */
let migratedImage: Promise<Blob> | undefined;
function migratedPgliteImage(): Promise<Blob> {
  migratedImage ??= (async () => {
    const pgliteManifest = join(MIGRATIONS_DIR, '..', 'node_modules', '@electric-sql', 'pglite', 'package.json');
    const hash = createHash('sha256').update(readFileSync(pgliteManifest));
    for (const f of readdirSync(MIGRATIONS_DIR).sort()) hash.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
    const file = join(tmpdir(), `mpp-test-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const handle = createDatabase({ dataDir: 'memory://' });
    try {
      await migrateToLatest(handle.db);
      const image = await handle.dumpDataDir!();
      const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(partial, Buffer.from(await image.arrayBuffer()));
      renameSync(partial, file);
      return image;
    } finally {
      await handle.close();
    }
  })();
  return migratedImage;
}

/** Another pool on the same schema: a second service instance sharing one database. */
export function attachDatabase(schema: string | undefined, poolSize = 10): DatabaseHandle {
  if (!realPostgres || !schema) throw new Error('attachDatabase needs the real Postgres');
  return createDatabase({ url: process.env.DATABASE_URL, poolSize, schema });
}

export function testKv(prefix = `test:${randomBytes(4).toString('hex')}:`): KeyValueStore {
  assertServicesWhenRequired();
  return realRedis ? new RedisStore(process.env.REDIS_URL!, prefix) : new MemoryStore();
}

const signing = sharedSigningDir();
const readKey = (f: string) => readFileSync(join(signing, 'test-keys', f), 'utf8');

/** The shared throwaway test keys: `aplus` plays Alipay+, `mpp` plays the wallet. */
export const testKeys = {
  aplusPrivate: loadPrivateKey(readKey('aplus.pkcs8.pem')),
  aplusPublic: loadPublicKey(readKey('aplus.pub.pem')),
  mppPrivatePem: readKey('mpp.pkcs8.pem'),
  mppPublic: loadPublicKey(readKey('mpp.pub.pem')),
  aplusPublicPem: readKey('aplus.pub.pem'),
};

export const TEST_CLIENT_ID = 'TEST_CLIENT';
export const TEST_PSP_ID = '1022088000000000001';
export const TEST_ACQUIRER_ID = '2052666000000000';
export const TEST_OPS_TOKEN = 'test-ops-token-not-a-secret-000000';
export const TEST_APP_JWT_SECRET = 'test-app-jwt-secret-not-a-secret-0000000000';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'mpp-test-')),
    MPP_PRIVATE_KEY: testKeys.mppPrivatePem,
    ALIPAYPLUS_PUBLIC_KEY: testKeys.aplusPublicPem,
    ALIPAYPLUS_CLIENT_ID: TEST_CLIENT_ID,
    APP_JWT_SECRET: TEST_APP_JWT_SECRET,
    OPS_API_TOKEN: TEST_OPS_TOKEN,
    PUBLIC_BASE_URL: 'http://mpp.test',
    LOG_LEVEL: 'silent',
    JOBS_ENABLED: 'false',
    // The paymentNotifyUrl host the tests use (issue 16: notify hosts are an allow-list).
    NOTIFY_URL_ALLOWED_HOSTS: 'aplus.test',
    ...env,
  });
}

export class FakeClock implements Clock {
  constructor(private t: Date = new Date()) {}
  now() {
    return new Date(this.t);
  }
  set(d: Date) {
    this.t = new Date(d);
  }
  advance(ms: number) {
    this.t = new Date(this.t.getTime() + ms);
  }
}

export interface TestApp extends BuiltApp {
  readonly config: Config;
  readonly secrets: Secrets;
  readonly database: TestDatabase | DatabaseHandle;
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  database?: TestDatabase | DatabaseHandle;
  kv?: KeyValueStore;
  clock?: Clock;
  extra?: Partial<AppDeps>;
}

/** An app on a database and store of its own (or shared ones, for multi-instance tests). */
export async function testApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig(opts.env);
  const secrets = resolveSecrets(config);
  const ownDb = !opts.database;
  const ownKv = !opts.kv;
  const database = opts.database ?? (await testDatabase());
  const kv = opts.kv ?? testKv();
  const clock = opts.clock ?? { now: () => new Date() };
  const built = await buildApp({ config, secrets, database, kv, clock, logger: false, ...opts.extra });
  await built.start();
  await built.app.ready();
  // Every app.inject response is checked against openapi.yaml (x-test-skip-openapi: 1 opts out).
  checkResponsesAgainstOpenApi(built.app);
  return {
    ...built,
    config,
    secrets,
    database,
    kv,
    clock,
    async close() {
      await built.app.close();
      if (ownDb) await database.close();
      if (ownKv) await kv.close();
    },
  };
}

export interface SignedCallOptions {
  clientId?: string;
  keyVersion?: string;
  requestTime?: string;
  privateKey?: ReturnType<typeof loadPrivateKey>;
  /** Mutate the body bytes after signing (tamper tests). */
  tamper?: (raw: string) => string;
  headers?: Record<string, string>;
}

/** POSTs a body signed as Alipay+ would (the shared `aplus` test key). */
export async function signedPost(app: FastifyInstance, path: string, body: unknown, o: SignedCallOptions = {}): Promise<LightMyRequestResponse> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const clientId = o.clientId ?? TEST_CLIENT_ID;
  const requestTime = o.requestTime ?? isoWithOffset(new Date());
  const value = await sign({ method: 'POST', uri: path, clientId, time: requestTime, body: raw }, o.privateKey ?? testKeys.aplusPrivate);
  const request: InjectOptions = {
    method: 'POST',
    url: path,
    payload: o.tamper ? o.tamper(raw) : raw,
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': clientId,
      'request-time': requestTime,
      signature: signatureHeader(o.keyVersion ?? '1', value),
      ...o.headers,
    },
  };
  return app.inject(request);
}

/** True when the response carries a valid MPP signature over its exact bytes. */
export async function responseSignatureValid(path: string, res: LightMyRequestResponse): Promise<boolean> {
  const parsed = parseSignatureHeader(res.headers.signature as string | undefined);
  if (!parsed) return false;
  return verify(
    { method: 'POST', uri: path, clientId: String(res.headers['client-id']), time: String(res.headers['response-time']), body: res.rawPayload },
    parsed.signature,
    testKeys.mppPublic,
  );
}

export function opsHeaders(): Record<string, string> {
  return { authorization: `Bearer ${TEST_OPS_TOKEN}` };
}

export async function createCustomer(app: FastifyInstance, customerId: string, currency = 'KRW', status = 'NORMAL') {
  const res = await app.inject({ method: 'POST', url: '/ops/v1/customers', headers: opsHeaders(), payload: { customerId, currency, status } });
  if (res.statusCode !== 201) throw new Error(`customer not created: ${res.statusCode} ${res.body}`);
  return res.json();
}

/**
 * An app user's bearer JWT as the wallet's login would mint it: HS256 with TEST_APP_JWT_SECRET,
 * `sub` = customerId, `exp` = now + expiresInSeconds (negative: already expired). `now` defaults to
 * the wall clock; pass the test's FakeClock time when the app runs on one.
 */
export async function appJwt(customerId: string, o: { expiresInSeconds?: number; now?: Date; secret?: string } = {}): Promise<string> {
  const { SignJWT } = await import('jose');
  const iat = Math.floor((o.now ?? new Date()).getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(o.secret ?? TEST_APP_JWT_SECRET));
}
