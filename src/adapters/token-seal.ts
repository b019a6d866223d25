/**
 * Seals the access tokens unbinding must send back to Alipay+ (§10 consultUnbinding, authNotify):
 * AES-256-GCM with a random 96-bit nonce, under a key derived (HKDF-SHA256) from the MPP private
 * key, so no new secret has to be configured, rotated or backed up. A sealed value is
 * `v1.<nonce>.<ciphertext+tag>` in base64url; a database dump alone does not give the token.
 * Rotating MPP_PRIVATE_KEY makes the sealed tokens unreadable: those agreements can still be
 * listed and revoked, but their unbinding cannot name the token to Alipay+ (noted in the docs).
 */
import { createCipheriv, createDecipheriv, hkdfSync, type KeyObject } from 'node:crypto';
import { secureRandomBytes } from '../domain/random.ts';

export interface TokenSealer {
  seal(token: string): string;
  open(sealed: string): string;
}

export function tokenSealer(mppPrivateKey: KeyObject): TokenSealer {
  const ikm = mppPrivateKey.export({ format: 'der', type: 'pkcs8' });
  const key = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'mpp agreement access token v1', 32));
  return {
    seal(token) {
      const nonce = secureRandomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `v1.${nonce.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed) {
      const [version, nonce, body] = sealed.split('.');
      if (version !== 'v1' || !nonce || !body) throw new Error('not a sealed token');
      const raw = Buffer.from(body, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString('utf8');
    },
  };
}
