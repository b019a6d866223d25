/**
 * Where the simulator gets its keys and addresses. It reads the same environment names as the
 * MPP where they mean the same thing (ALIPAYPLUS_CLIENT_ID, ALIPAYPLUS_KEY_VERSION,
 * MPP_KEY_VERSION, MPP_PSP_ID, ALIPAYPLUS_ACQUIRER_ID, DATA_DIR, APP_JWT_SECRET, OPS_API_TOKEN),
 * so one environment serves both, plus its own: SIMULATOR_PRIVATE_KEY, MPP_PUBLIC_KEY,
 * MPP_BASE_URL, SIMULATOR_HOST, SIMULATOR_PORT.
 *
 * Keys, when not given: the dev pairs in DATA_DIR/dev-keys, created exactly as `npm start`
 * creates them (src/secrets.ts), so whichever of the two starts first, both use the same files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { loadConfig } from '../config.ts';
import { loadPrivateKey, loadPublicKey } from '../alipayplus/signature.ts';
import { devKeysDir, resolveSecrets, type Secrets } from '../secrets.ts';

export interface SimulatorKeys {
  /** Alipay+'s private key: signs the simulator's requests and answers. */
  readonly privateKey: KeyObject;
  /** The MPP's public key: verifies the MPP's requests and answers. */
  readonly mppPublicKey: KeyObject;
  /** keyVersion in the simulator's Signature header. */
  readonly keyVersion: string;
}

export interface SimulatorSettings {
  readonly keys: SimulatorKeys;
  readonly clientId: string;
  /** The keyVersion the MPP signs with (MPP_KEY_VERSION, as the MPP reads it). */
  readonly mppKeyVersion: string;
  readonly pspId: string;
  readonly acquirerId: string;
  readonly mppBaseUrl: string;
  readonly host: string;
  readonly port: number;
  /**
   * For the wallet-app and ops helpers of the CLI (auth codes, customers): APP_JWT_SECRET and
   * OPS_API_TOKEN, else the dev material. Read on demand so that signing alone touches no file.
   */
  appJwtSecret(): Uint8Array;
  opsApiToken(): string;
  /** Where each piece came from, for the banner. */
  readonly sources: readonly string[];
}

type Env = Record<string, string | undefined>;

const nonEmpty = (v: string | undefined) => (v && v.trim() !== '' ? v : undefined);

function port(v: string | undefined): number {
  const n = Number(v ?? '3100');
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`SIMULATOR_PORT must be a port number, got ${v}`);
  return n;
}

export function simulatorSettings(env: Env = process.env): SimulatorSettings {
  const dataDir = nonEmpty(env.DATA_DIR) ?? './data';
  const sources: string[] = [];
  let dev: Secrets | undefined;
  // The same dev material `npm start` makes (created now if the MPP has not run yet).
  const devSecrets = () =>
    (dev ??= resolveSecrets(loadConfig({ DATA_DIR: dataDir, APP_JWT_SECRET: nonEmpty(env.APP_JWT_SECRET), OPS_API_TOKEN: nonEmpty(env.OPS_API_TOKEN) })));
  const keysDir = devKeysDir(loadConfig({ DATA_DIR: dataDir }));

  let privateKey: KeyObject;
  const givenPrivate = nonEmpty(env.SIMULATOR_PRIVATE_KEY);
  if (givenPrivate) {
    privateKey = loadPrivateKey(givenPrivate);
    sources.push('Alipay+ private key: SIMULATOR_PRIVATE_KEY');
  } else {
    devSecrets();
    const path = join(keysDir, 'alipayplus.dev.pkcs8.pem');
    privateKey = loadPrivateKey(readFileSync(path, 'utf8'));
    sources.push(`Alipay+ private key: ${path} (dev)`);
  }

  let mppPublicKey: KeyObject;
  const givenPublic = nonEmpty(env.MPP_PUBLIC_KEY);
  if (givenPublic) {
    mppPublicKey = loadPublicKey(givenPublic);
    sources.push('MPP public key: MPP_PUBLIC_KEY');
  } else {
    mppPublicKey = devSecrets().mppPublicKey;
    sources.push(`MPP public key: ${join(keysDir, 'mpp.dev.pub.pem')} (dev)`);
  }

  const givenJwt = nonEmpty(env.APP_JWT_SECRET);
  const givenOps = nonEmpty(env.OPS_API_TOKEN);
  return {
    keys: { privateKey, mppPublicKey, keyVersion: nonEmpty(env.ALIPAYPLUS_KEY_VERSION) ?? '1' },
    clientId: nonEmpty(env.ALIPAYPLUS_CLIENT_ID) ?? 'SANDBOX_CLIENT',
    mppKeyVersion: nonEmpty(env.MPP_KEY_VERSION) ?? '1',
    pspId: nonEmpty(env.MPP_PSP_ID) ?? '1022088000000000001',
    acquirerId: nonEmpty(env.ALIPAYPLUS_ACQUIRER_ID) ?? '2052666000000000',
    mppBaseUrl: (nonEmpty(env.MPP_BASE_URL) ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
    host: nonEmpty(env.SIMULATOR_HOST) ?? '127.0.0.1',
    port: port(nonEmpty(env.SIMULATOR_PORT)),
    appJwtSecret: () => (givenJwt ? new TextEncoder().encode(givenJwt) : devSecrets().appJwtSecret),
    opsApiToken: () => givenOps ?? devSecrets().opsApiToken,
    sources,
  };
}
