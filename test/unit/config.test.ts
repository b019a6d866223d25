import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TTL_FLOOR_SECONDS, ConfigError, loadConfig, REFRESH_TOKEN_TTL_FLOOR_SECONDS } from '../../src/config.ts';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('configuration was accepted');
}

describe('configuration', () => {
  it('parses an empty environment into the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: undefined,
      redisUrl: undefined,
      dataDir: './data',
      publicBaseUrl: 'http://127.0.0.1:3000',
      pspId: '1022088000000000001',
      mppKeyVersion: '1',
      alipayPlusClientId: 'SANDBOX_CLIENT',
      alipayPlusAcquirerId: '2052666000000000',
      signatureMaxSkewSeconds: 600,
      orderExpirySeconds: 180,
      authCodeTtlSeconds: 300,
      codeIdentificationMode: 'ALLOWLIST',
      logLevel: 'info',
    });
    // §3 floors: the defaults themselves sit above them.
    expect(c.accessTokenTtlSeconds).toBeGreaterThan(ACCESS_TOKEN_TTL_FLOOR_SECONDS);
    expect(c.refreshTokenTtlSeconds).toBeGreaterThan(REFRESH_TOKEN_TTL_FLOOR_SECONDS);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', ACCESS_TOKEN_TTL_SECONDS: ' ' }).port).toBe(3000);
  });

  it('names every bad variable in one message', () => {
    const env = { PORT: 'abc', ORDER_EXPIRY_SECONDS: '-1', ACCESS_TOKEN_TTL_SECONDS: '600' };
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as ConfigError).message;
    for (const name of Object.keys(env)) expect(message).toContain(name);
    expect((caught as ConfigError).problems).toHaveLength(3);
  });

  it('refuses token lifetimes at or below the §3 floors, even alongside other bad variables', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_FLOOR_SECONDS) })).toEqual([
      expect.stringMatching(/^ACCESS_TOKEN_TTL_SECONDS: must be above 600/),
    ]);
    const both = problemsOf({ REFRESH_TOKEN_TTL_SECONDS: String(REFRESH_TOKEN_TTL_FLOOR_SECONDS), LOG_LEVEL: 'loud' });
    expect(both.some((p) => p.startsWith('REFRESH_TOKEN_TTL_SECONDS: must be above'))).toBe(true);
    expect(both.some((p) => p.startsWith('LOG_LEVEL:'))).toBe(true);
  });

  it('accepts lifetimes just above the floors', () => {
    const c = loadConfig({
      ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_FLOOR_SECONDS + 1),
      REFRESH_TOKEN_TTL_SECONDS: String(REFRESH_TOKEN_TTL_FLOOR_SECONDS + 1),
    });
    expect(c.accessTokenTtlSeconds).toBe(601);
    expect(c.refreshTokenTtlSeconds).toBe(REFRESH_TOKEN_TTL_FLOOR_SECONDS + 1);
  });

  it('hands out a frozen object that cannot be changed after start-up', () => {
    const c = loadConfig({ SINGLE_PAYMENT_LIMITS: 'KRW:5000000' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.singlePaymentLimits)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(c.port).toBe(3000);
  });

  it('fails closed in production: with DATABASE_URL set, the four secrets are required, each named, with the other bad variables', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://db.internal/mpp', PORT: 'abc' });
    for (const name of ['MPP_PRIVATE_KEY', 'ALIPAYPLUS_PUBLIC_KEY', 'APP_JWT_SECRET', 'OPS_API_TOKEN', 'PORT']) {
      expect(
        problems.some((p) => p.startsWith(`${name}:`)),
        name,
      ).toBe(true);
    }
    expect(problems).toHaveLength(5);
    // Only the missing ones are named.
    expect(problemsOf({ DATABASE_URL: 'postgres://db.internal/mpp', APP_JWT_SECRET: 'x'.repeat(32), OPS_API_TOKEN: 'y'.repeat(24) })).toEqual([
      expect.stringMatching(/^MPP_PRIVATE_KEY: required when DATABASE_URL is set/),
      expect.stringMatching(/^ALIPAYPLUS_PUBLIC_KEY: required when DATABASE_URL is set/),
    ]);
  });

  it('npm run migrate needs only DATABASE_URL (no signing secrets)', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db.internal/mpp' }, { purpose: 'migrate' }).databaseUrl).toBe('postgres://db.internal/mpp');
  });
});

describe('ALIPAYPLUS_IDENTIFY_URL (code-identification-sdk.md fact 12)', () => {
  it('defaults to the SDK path under ALIPAYPLUS_BASE_URL, is taken as given when set, and is absent without either', () => {
    expect(loadConfig({ ALIPAYPLUS_BASE_URL: 'https://open-sea.alipayplus.com/' }).alipayPlusIdentifyUrl).toBe(
      'https://open-sea.alipayplus.com/api/open/common_form_data/extensions/identify/code.htm',
    );
    expect(loadConfig({ ALIPAYPLUS_BASE_URL: 'https://a.example', ALIPAYPLUS_IDENTIFY_URL: 'https://b.example/id' }).alipayPlusIdentifyUrl).toBe('https://b.example/id');
    expect(loadConfig({}).alipayPlusIdentifyUrl).toBeUndefined();
    expect(() => loadConfig({ ALIPAYPLUS_IDENTIFY_URL: 'ftp://x' })).toThrow(ConfigError);
  });
});
