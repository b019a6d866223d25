/**
 * A stand-in Alipay+ on 127.0.0.1:0 serving `inquiryCodeRules` (§6): it checks our request
 * signature with the MPP test public key and answers signed with the shared `aplus` test key
 * (or, when told, badly signed, unsigned, HTTP 500, or never).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { parseSignatureHeader, sign, signatureHeader, verify } from '../../src/alipayplus/signature.ts';
import { TEST_CLIENT_ID, testKeys } from './harness.ts';

export type FakeMode = 'OK' | 'BAD_SIGNATURE' | 'UNSIGNED' | 'HTTP_500' | 'HANG';

export interface SeenRequest {
  readonly path: string;
  readonly body: string;
  /** Whether our Signature verified with the MPP public key over the exact bytes. */
  readonly signatureValid: boolean;
  readonly clientId: string | undefined;
}

export interface FakeAlipayPlus {
  readonly baseUrl: string;
  readonly requests: SeenRequest[];
  /** The answer body served next (an inquiryCodeRules answer). */
  answer: unknown;
  mode: FakeMode;
  close(): Promise<void>;
}

const otherKey: KeyObject = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

export async function startFakeAlipayPlus(answer: unknown): Promise<FakeAlipayPlus> {
  const requests: SeenRequest[] = [];
  const hanging = new Set<() => void>();
  const state: { answer: unknown; mode: FakeMode } = { answer, mode: 'OK' };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const path = req.url ?? '';
        const parsed = parseSignatureHeader(req.headers.signature as string | undefined);
        const clientId = req.headers['client-id'] as string | undefined;
        const signatureValid =
          parsed !== undefined &&
          (await verify(
            { method: 'POST', uri: path, clientId: clientId ?? '', time: String(req.headers['request-time']), body: raw },
            parsed.signature,
            testKeys.mppPublic,
          ));
        requests.push({ path, body: raw.toString('utf8'), signatureValid, clientId });
        if (state.mode === 'HANG') {
          hanging.add(() => res.destroy());
          return;
        }
        if (state.mode === 'HTTP_500') {
          res.writeHead(500).end('oops');
          return;
        }
        const body = JSON.stringify(state.answer);
        // Answered at the time it was asked: echo the Request-Time (the caller's clock may be a test's).
        const asked = req.headers['request-time'];
        const responseTime = typeof asked === 'string' ? asked : isoWithOffset(new Date());
        const headers: Record<string, string> = {
          'content-type': 'application/json; charset=UTF-8',
          'client-id': clientId ?? TEST_CLIENT_ID,
          'response-time': responseTime,
        };
        if (state.mode !== 'UNSIGNED') {
          const key = state.mode === 'BAD_SIGNATURE' ? otherKey : testKeys.aplusPrivate;
          const value = await sign({ method: 'POST', uri: path, clientId: headers['client-id']!, time: responseTime, body }, key);
          headers.signature = signatureHeader('1', value);
        }
        res.writeHead(200, headers).end(body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    get answer() {
      return state.answer;
    },
    set answer(a: unknown) {
      state.answer = a;
    },
    get mode() {
      return state.mode;
    },
    set mode(m: FakeMode) {
      state.mode = m;
    },
    async close() {
      for (const drop of hanging) drop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
