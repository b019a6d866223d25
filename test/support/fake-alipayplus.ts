/**
 * A stand-in Alipay+ receiver on 127.0.0.1:<random port> for outbound-call tests: it verifies OUR
 * signature with the MPP test public key and answers signed with the `aplus` test private key, as
 * Alipay+ would. Knobs make it misbehave: fail the first N calls, sign badly, answer slowly.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { loadPrivateKey, parseSignatureHeader, sign, signatureHeader, verify } from '../../src/alipayplus/signature.ts';
import { TEST_CLIENT_ID, testKeys } from './harness.ts';

/** A key Alipay+ does not own: answers signed with it must not verify. */
const notAlipayPlusKey = loadPrivateKey(testKeys.mppPrivatePem);

export interface FakeAlipayPlusOptions {
  /** The first N calls fail (see failWith) before the receiver answers S. */
  failTimes?: number;
  /** How a failing call fails: HTTP 500 (default), or a signed `U` / `F` result. */
  failWith?: 'http-500' | 'result-U' | 'result-F';
  /** Sign the answers with a key Alipay+ does not own (the MPP key), so the signature is wrong. */
  badSignature?: boolean;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answers for paths other than notifyPayment (e.g. inquiryCodeRules): path -> body. */
  answers?: Record<string, Record<string, unknown>>;
  /** Sign the answers (validly) as another Client-Id, or at another Response-Time (a recorded answer). */
  answerAs?: { clientId?: string; responseTime?: Date };
}

export interface FakeHit {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly raw: string;
  /** Our request carried a valid MPP signature. */
  readonly signatureValid: boolean;
  readonly headers: IncomingMessage['headers'];
}

export interface FakeAlipayPlus {
  /** Base URL, like ALIPAYPLUS_BASE_URL. */
  readonly url: string;
  readonly hits: FakeHit[];
  hitsFor(paymentId: string): FakeHit[];
  setOptions(o: FakeAlipayPlusOptions): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeAlipayPlus(initial: FakeAlipayPlusOptions = {}): Promise<FakeAlipayPlus> {
  let opts = initial;
  let failuresLeft = initial.failTimes ?? 0;
  const hits: FakeHit[] = [];

  const answer = async (req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>) => {
    const raw = JSON.stringify(body);
    // Alipay+ answers at the time it was asked: echo our Request-Time (our clock may be a test's).
    const asked = typeof req.headers['request-time'] === 'string' ? req.headers['request-time'] : undefined;
    const responseTime = opts.answerAs?.responseTime ? isoWithOffset(opts.answerAs.responseTime) : (asked ?? isoWithOffset(new Date()));
    const clientId = opts.answerAs?.clientId ?? TEST_CLIENT_ID;
    const key = opts.badSignature ? notAlipayPlusKey : testKeys.aplusPrivate;
    const value = await sign({ method: 'POST', uri: req.url ?? path, clientId, time: responseTime, body: raw }, key);
    res.writeHead(200, {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': clientId,
      'response-time': responseTime,
      signature: signatureHeader('1', value),
    });
    res.end(raw);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const path = (req.url ?? '/').split('?')[0]!;
      const parsed = parseSignatureHeader(req.headers.signature as string | undefined);
      const signatureValid =
        parsed !== undefined &&
        (await verify(
          { method: req.method ?? 'POST', uri: req.url ?? '/', clientId: String(req.headers['client-id']), time: String(req.headers['request-time']), body: raw },
          parsed.signature,
          testKeys.mppPublic,
        ));
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        // recorded as an empty body
      }
      hits.push({ path, body, raw: raw.toString('utf8'), signatureValid, headers: req.headers });
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (!signatureValid) {
        return answer(req, res, path, { result: { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F', resultMessage: 'Signature is invalid' } });
      }
      if (failuresLeft > 0) {
        failuresLeft--;
        if ((opts.failWith ?? 'http-500') === 'http-500') {
          res.writeHead(500, { 'content-type': 'text/plain' });
          return res.end('busy');
        }
        const status = opts.failWith === 'result-U' ? 'U' : 'F';
        return answer(req, res, path, {
          result: { resultCode: status === 'U' ? 'UNKNOWN_EXCEPTION' : 'PROCESS_FAIL', resultStatus: status, resultMessage: 'try later' },
        });
      }
      const canned = opts.answers?.[path];
      return answer(req, res, path, canned ?? { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    hitsFor: (paymentId) => hits.filter((h) => h.body.paymentId === paymentId),
    setOptions(o) {
      opts = o;
      failuresLeft = o.failTimes ?? 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
