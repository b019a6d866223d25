/**
 * Issue 9 point 3: constant-time comparisons for every secret.
 *
 * - The ops token is compared with secretEquals (SHA-256 of both sides, then timingSafeEqual:
 *   constant time whatever the lengths).
 * - The app JWT's HMAC is checked by jose (WebCrypto verify, constant time).
 * - Alipay+ signatures are RSA verifications: nothing is compared byte by byte.
 * - Auth codes and tokens are never compared at all: the SHA-256 of the value received is looked
 *   up in a unique index. A timing difference in that lookup can only tell an attacker about the
 *   hash, whose preimage they cannot steer, so it leaks nothing about any stored code or token.
 *
 * The last test keeps it that way: no `===` / `!==` in src/ compares something named like a secret
 * with anything but a literal.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretEquals } from '../../src/http/bearer.ts';
import { repoDir } from '../support/shared.ts';

describe('constant-time comparison of secrets', () => {
  it('secretEquals tells equal from different secrets, of any lengths, without throwing', () => {
    expect(secretEquals('ops-token-123456789012345', 'ops-token-123456789012345')).toBe(true);
    expect(secretEquals('ops-token-123456789012345', 'ops-token-123456789012346')).toBe(false);
    expect(secretEquals('short', 'ops-token-123456789012345')).toBe(false);
    expect(secretEquals('', 'ops-token-123456789012345')).toBe(false);
    expect(secretEquals('x'.repeat(100_000), 'ops-token-123456789012345')).toBe(false);
  });

  it('no source file compares a token, secret, code, key or signature with === or !==', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(repoDir, 'src'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.flatMap((file) => secretComparisons(readFileSync(file, 'utf8')).map((l) => `${file.slice(repoDir.length + 1)}: ${l}`));
    expect(offenders, 'compare secrets with secretEquals (src/http/bearer.ts) or by their hash').toEqual([]);
  });

  it('the scan flags a secret compared with === and leaves checks against literals alone', () => {
    const flagged = secretComparisons(
      [
        'if (token === opsApiToken) return;',
        'const ok = body.authCode !== stored.authCode;',
        'if (req.params.linkToken === row.linkToken) {',
        'if (given === deps.secret) {',
        // not flagged:
        'if (token === undefined) return;',
        "if (typeof token === 'string') {}",
        'if (accessToken.length === 64) {}',
        '// if (token === opsApiToken) in a comment',
        'if (paymentRequestId === other) {}',
      ].join('\n'),
    );
    expect(flagged).toEqual([
      '1: if (token === opsApiToken) return;',
      '2: const ok = body.authCode !== stored.authCode;',
      '3: if (req.params.linkToken === row.linkToken) {',
      '4: if (given === deps.secret) {',
    ]);
  });
});

const SECRET_NAME = /(token|secret|password|apikey|authcode|signature|privatekey)$/i;
const LITERAL = /^(undefined|null|true|false|'[^']*'|"[^"]*"|`[^`]*`|-?\d+n?|\[\]|\{\})$/;
const OPERAND = String.raw`[\w$.?!\[\]'"\`-]+`;
const COMPARISON = new RegExp(`(typeof\\s+)?(${OPERAND})\\s*(?:===|!==)\\s*(${OPERAND})`, 'g');

/** Lines (`n: text`) comparing something named like a secret with === / !== against anything but a literal. */
function secretComparisons(source: string): string[] {
  const lastName = (s: string) => s.replace(/[?!]/g, '').split('.').pop() ?? '';
  const isSecret = (s: string) => SECRET_NAME.test(lastName(s));
  const out: string[] = [];
  source.split('\n').forEach((line, i) => {
    if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
    for (const m of line.matchAll(COMPARISON)) {
      const [typeOf, a, b] = [m[1], m[2]!, m[3]!];
      if (typeOf) continue;
      if ((isSecret(a) && !LITERAL.test(b)) || (isSecret(b) && !LITERAL.test(a))) {
        out.push(`${i + 1}: ${line.trim()}`);
        break;
      }
    }
  });
  return out;
}
