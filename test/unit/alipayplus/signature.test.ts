import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPrivateKey, loadPublicKey, parseSignatureHeader, sign, signatureHeader, signedUri, verify } from '../../../src/alipayplus/signature.ts';
import { sharedSigningDir } from '../../support/shared.ts';

interface Vector {
  httpMethod: string;
  requestUri: string;
  clientId: string;
  requestTime: string;
  bodyFile: string;
  expectedUrlEncodedSignature: string;
  expectedSignatureHeader: string;
}

const dir = sharedSigningDir();
const kat = JSON.parse(readFileSync(join(dir, 'kat-cross-sdk.json'), 'utf8')) as { vectors: Vector[] };
const read = (f: string) => readFileSync(join(dir, f), 'utf8');
const keyForms = {
  'PKCS#8 PEM': read('test-keys/aplus.pkcs8.pem'),
  'PKCS#1 PEM': read('test-keys/aplus.pkcs1.pem'),
  'PKCS#8 base64 DER': read('test-keys/aplus.pkcs8.b64'),
  'PKCS#1 base64 DER': read('test-keys/aplus.pkcs1.b64'),
};
const publicForms = { PEM: read('test-keys/aplus.pub.pem'), 'base64 SPKI DER': read('test-keys/aplus.pub.b64') };

describe('signature known-answer vectors from the official SDKs', () => {
  it('has vectors to check', () => expect(kat.vectors.length).toBeGreaterThanOrEqual(2));

  for (const v of kat.vectors) {
    const message = {
      method: v.httpMethod,
      uri: v.requestUri,
      clientId: v.clientId,
      time: v.requestTime,
      body: readFileSync(join(dir, v.bodyFile)),
    };
    for (const [form, pem] of Object.entries(keyForms)) {
      it(`reproduces ${v.requestUri} byte for byte with a ${form} key`, async () => {
        const value = await sign(message, loadPrivateKey(pem));
        expect(value).toBe(v.expectedUrlEncodedSignature);
        expect(signatureHeader('1', value)).toBe(v.expectedSignatureHeader);
      });
    }
    for (const [form, pub] of Object.entries(publicForms)) {
      it(`verifies ${v.requestUri} with a ${form} public key`, async () => {
        expect(await verify(message, v.expectedUrlEncodedSignature, loadPublicKey(pub))).toBe(true);
      });
    }
    it(`rejects ${v.requestUri} when one body byte changes`, async () => {
      const body = Buffer.from(message.body);
      body[5] = (body[5] ?? 0) ^ 1;
      expect(await verify({ ...message, body }, v.expectedUrlEncodedSignature, loadPublicKey(publicForms.PEM))).toBe(false);
    });
    it(`accepts lowercase escapes and spaces after commas for ${v.requestUri}`, async () => {
      const header = v.expectedSignatureHeader.replace(/%2B|%2F|%3D/g, (m) => m.toLowerCase()).replace(/,/g, ', ');
      const parsed = parseSignatureHeader(header);
      expect(parsed?.keyVersion).toBe('1');
      expect(await verify(message, parsed!.signature, loadPublicKey(publicForms.PEM))).toBe(true);
    });
    it(`signs the path, not the absolute URL, for ${v.requestUri}`, async () => {
      const value = await sign({ ...message, uri: `http://127.0.0.1:8080${v.requestUri}` }, loadPrivateKey(keyForms['PKCS#8 PEM']));
      expect(value).toBe(v.expectedUrlEncodedSignature);
    });
  }

  it('keeps the query string in the signed URI', () => {
    expect(signedUri('http://h:1/a/b?x=1&y=2')).toBe('/a/b?x=1&y=2');
    expect(signedUri('/a/b?x=1')).toBe('/a/b?x=1');
  });

  it('refuses headers without a signature or with another algorithm', () => {
    expect(parseSignatureHeader(undefined)).toBeUndefined();
    expect(parseSignatureHeader('algorithm=RSA256,keyVersion=1')).toBeUndefined();
    expect(parseSignatureHeader('algorithm=HMAC,keyVersion=1,signature=abc')).toBeUndefined();
  });
});
