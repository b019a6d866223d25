/**
 * Keys and secrets: from the configuration when given, otherwise generated once in DATA_DIR for
 * development (and printed), so `npm start` works with nothing configured. Generated material is
 * clearly dev-only and never leaves DATA_DIR.
 */
import { generateKeyPairSync, randomBytes, type KeyObject, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import { loadPrivateKey, loadPublicKey } from './alipayplus/signature.ts';

export interface Secrets {
  readonly mppPrivateKey: KeyObject;
  readonly mppPublicKey: KeyObject;
  /** keyVersion -> Alipay+ public key, verifying inbound requests and answers to our calls. */
  readonly alipayPlusPublicKeys: ReadonlyMap<string, KeyObject>;
  readonly appJwtSecret: Uint8Array;
  readonly opsApiToken: string;
  /** Every ops token with its label: OPS_API_TOKEN as `ops`, then OPS_API_TOKENS. */
  readonly opsApiTokens: readonly { readonly label: string; readonly token: string }[];
  /** What was generated or read from DATA_DIR, for the start-up banner. */
  readonly devMaterial: readonly string[];
}

function readOrCreate(path: string, create: () => string): { text: string; created: boolean } {
  if (existsSync(path)) return { text: readFileSync(path, 'utf8'), created: false };
  const text = create();
  try {
    // 'wx': when the MPP and the simulator start together on a fresh DATA_DIR, one file wins
    // and both use it (a plain write would let the second overwrite the key the first holds).
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { text: readFileSync(path, 'utf8'), created: false };
  }
  return { text, created: true };
}

function devKeyPair(dir: string, name: string): { privatePem: string; publicPem: string } {
  const privatePath = join(dir, `${name}.dev.pkcs8.pem`);
  const { text: privatePem } = readOrCreate(privatePath, () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  });
  const publicPem = createPublicKey(privatePem).export({ format: 'pem', type: 'spki' }).toString();
  writeFileSync(join(dir, `${name}.dev.pub.pem`), publicPem);
  return { privatePem, publicPem };
}

export function devKeysDir(config: Config): string {
  return join(config.dataDir, 'dev-keys');
}

export function resolveSecrets(config: Config): Secrets {
  const dir = devKeysDir(config);
  const devMaterial: string[] = [];
  const ensureDir = () => mkdirSync(dir, { recursive: true, mode: 0o700 });

  let mppPrivateKey: KeyObject;
  if (config.mppPrivateKey) {
    mppPrivateKey = loadPrivateKey(config.mppPrivateKey);
  } else {
    ensureDir();
    mppPrivateKey = loadPrivateKey(devKeyPair(dir, 'mpp').privatePem);
    devMaterial.push(`MPP dev key pair: ${join(dir, 'mpp.dev.pkcs8.pem')} (public: ${join(dir, 'mpp.dev.pub.pem')})`);
  }

  let alipayPlusPublicKey: KeyObject;
  if (config.alipayPlusPublicKey) {
    alipayPlusPublicKey = loadPublicKey(config.alipayPlusPublicKey);
  } else {
    ensureDir();
    alipayPlusPublicKey = loadPublicKey(devKeyPair(dir, 'alipayplus').publicPem);
    devMaterial.push(`Alipay+ dev key pair (the simulator signs with it): ${join(dir, 'alipayplus.dev.pkcs8.pem')}`);
  }

  let appJwtSecret: string;
  if (config.appJwtSecret) {
    appJwtSecret = config.appJwtSecret;
  } else {
    ensureDir();
    appJwtSecret = readOrCreate(join(dir, 'app-jwt.dev.secret'), () => randomBytes(32).toString('base64url')).text.trim();
    devMaterial.push(`app JWT secret (HS256): ${join(dir, 'app-jwt.dev.secret')}`);
  }

  let opsApiToken: string;
  if (config.opsApiToken) {
    opsApiToken = config.opsApiToken;
  } else {
    ensureDir();
    opsApiToken = readOrCreate(join(dir, 'ops-api.dev.token'), () => randomBytes(24).toString('base64url')).text.trim();
    devMaterial.push(`ops API token: ${opsApiToken} (in ${join(dir, 'ops-api.dev.token')})`);
  }

  return {
    mppPrivateKey,
    mppPublicKey: createPublicKey(mppPrivateKey),
    alipayPlusPublicKeys: new Map([[config.alipayPlusKeyVersion, alipayPlusPublicKey]]),
    appJwtSecret: new TextEncoder().encode(appJwtSecret),
    opsApiToken,
    opsApiTokens: [{ label: 'ops', token: opsApiToken }, ...config.opsApiTokens],
    devMaterial,
  };
}
