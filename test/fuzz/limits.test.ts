/**
 * Issue 9 point 2: body size limits and request timeouts are set on purpose (src/http/server-options.ts). Each
 * limit is checked as configured and as it behaves: over the body limit, on a real socket (huge
 * headers, a client too slow to send its request) and with a dependency too slow to answer.
 */
import { connect } from 'node:net';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { sign, signatureHeader } from '../../src/alipayplus/signature.ts';
import {
  appJwt,
  opsHeaders,
  responseSignatureValid,
  signedPost,
  TEST_CLIENT_ID,
  testApp,
  testDatabase,
  testKeys,
  type TestApp,
  type TestDatabase,
} from '../support/harness.ts';
import { ALIPAYPLUS_ROUTES, APP_ROUTES } from './routes.ts';
import { expectAlipayPlusRefusal, expectAppAnswer } from './support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp({ env: { REQUEST_TIMEOUT_MS: '300', ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE: '0' } });
});
afterAll(async () => t.close());

/** Writes `data` on a fresh connection and resolves with what came back once the server closes it. */
function rawExchange(port: number, data: string, timeoutMs = 5000): Promise<{ text: string; closedAfterMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      if (data) socket.write(data);
    });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; got ${JSON.stringify(text.slice(0, 100))}`));
    }, timeoutMs);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

describe('limits and timeouts, configured on purpose', () => {
  it('configures the body limit, the request, header and handler timeouts and keep-alive from the config', () => {
    expect(t.app.initialConfig).toMatchObject({
      bodyLimit: t.config.bodyLimitBytes,
      requestTimeout: t.config.requestTimeoutMs,
      keepAliveTimeout: 72_000,
      connectionTimeout: 0,
    });
    // HANDLER_TIMEOUT_MS is ours (src/http/handler-timeout.ts), not Fastify's handlerTimeout, which a body cancels.
    expect((t.app.initialConfig as { handlerTimeout?: number }).handlerTimeout ?? 0).toBe(0);
    expect(t.app.server.requestTimeout).toBe(300);
    expect(t.app.server.headersTimeout).toBe(300);
    expect(t.app.server.keepAliveTimeout).toBe(72_000);
    // The defaults: 64 KiB bodies, 7 s to send a request, 4 s to answer (Alipay+ waits 5 s at least, §1).
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({ bodyLimitBytes: 65_536, requestTimeoutMs: 7000, handlerTimeoutMs: 4000 });
    expect(defaults.handlerTimeoutMs).toBeLessThan(5000);
  });

  it('answers a body over BODY_LIMIT_BYTES on every Alipay+ route with a signed F PARAM_ILLEGAL', async () => {
    for (const route of ALIPAYPLUS_ROUTES.filter((r) => t.app.hasRoute({ method: 'POST', url: r.path }))) {
      const res = await signedPost(t.app, route.path, { ...route.sample, padding: 'x'.repeat(t.config.bodyLimitBytes) });
      const r = await expectAlipayPlusRefusal(route.path, res);
      expect(r).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultMessage: 'Request body is too large' });
    }
  });

  it('answers a body over BODY_LIMIT_BYTES on the app and ops routes with 413 and a JSON reason', async () => {
    const padding = 'x'.repeat(t.config.bodyLimitBytes);
    const jwt = await appJwt('limits-nobody');
    const posts = [
      ...APP_ROUTES.filter((r) => r.method === 'POST' && t.app.hasRoute(r)).map((r) => ({ url: r.url, headers: { authorization: `Bearer ${jwt}` } })),
      { url: '/ops/v1/customers', headers: opsHeaders() },
      { url: '/ops/v1/customers/nobody/topUps', headers: opsHeaders() },
    ];
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const { url, headers } of posts) {
      const res = await t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify({ padding }) });
      expect(res.statusCode, url).toBe(413);
      expect(expectAppAnswer(res)).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultMessage: 'Request body is too large' });
    }
  });
});

describe('on a real socket', () => {
  let port: number;
  beforeAll(async () => {
    port = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });

  const healthy = async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

  it('answers headers over 16 KiB with 431 before any route runs, and keeps serving', async () => {
    const { text } = await rawExchange(port, `POST /alipayplus/v1/payments/inquiryPayment HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    await healthy();
  });

  it('cuts a client that sends its headers too slowly (slowloris) with 408 after REQUEST_TIMEOUT_MS', async () => {
    const { text, closedAfterMs } = await rawExchange(port, 'POST /alipayplus/v1/payments/inquiryPayment HTTP/1.1\r\nHost: x\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(2500);
    await healthy();
  });

  it('cuts a client that never finishes its body after REQUEST_TIMEOUT_MS', async () => {
    const head = 'POST /alipayplus/v1/payments/inquiryPayment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const { closedAfterMs } = await rawExchange(port, `${head}{"pspId":`);
    expect(closedAfterMs).toBeLessThan(2500);
    await healthy();
  });

  it('closes a connection that never sends a byte after REQUEST_TIMEOUT_MS', async () => {
    const { closedAfterMs } = await rawExchange(port, '');
    expect(closedAfterMs).toBeLessThan(2500);
  });
});

/** Delays every query result while `slow` is set (a dependency that answers too late), or fails it while `broken` is. */
class SlowDatabase implements KyselyPlugin {
  slow = false;
  broken = false;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.broken) throw new Error('Connection terminated unexpectedly');
    if (this.slow) await new Promise((r) => setTimeout(r, 1500));
    return args.result;
  }
}

describe('a database slower than HANDLER_TIMEOUT_MS, or failing', () => {
  const plugin = new SlowDatabase();
  let slowApp: TestApp;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testDatabase();
    slowApp = await testApp({ env: { HANDLER_TIMEOUT_MS: '250' }, database: { ...database, db: database.db.withPlugin(plugin) } });
  });
  afterAll(async () => {
    plugin.slow = false;
    await new Promise((r) => setTimeout(r, 1600)); // let the abandoned queries finish before closing
    await slowApp.close();
    await database.close();
  });

  it('answers an Alipay+ route with a signed U UNKNOWN_EXCEPTION in time, never a late or wrong F/S', async () => {
    const path = '/alipayplus/v1/payments/inquiryPayment';
    const body = ALIPAYPLUS_ROUTES.find((r) => r.path === path)!.sample;
    plugin.slow = true;
    const started = Date.now();
    const res = await signedPost(slowApp.app, path, body);
    expect(Date.now() - started).toBeLessThan(1200);
    expect(res.statusCode).toBe(200);
    expect(res.json().result).toMatchObject({ resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' });
    expect(await responseSignatureValid(path, res)).toBe(true);
    plugin.slow = false;
    expect((await signedPost(slowApp.app, path, body)).json().result.resultCode).toBe('ORDER_NOT_EXIST');
  });

  it('answers U UNKNOWN_EXCEPTION (503 on the app routes), never F or S, while the database fails outright', async () => {
    const path = '/alipayplus/v1/payments/inquiryPayment';
    const body = ALIPAYPLUS_ROUTES.find((r) => r.path === path)!.sample;
    plugin.broken = true;
    try {
      const res = await signedPost(slowApp.app, path, body);
      expect(res.json().result).toMatchObject({ resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U', resultMessage: 'Unknown exception; retry later' });
      expect(await responseSignatureValid(path, res)).toBe(true);
      const app = await slowApp.app.inject({
        method: 'POST',
        url: '/app/v1/authCodes',
        headers: { authorization: `Bearer ${await appJwt('broken-nobody')}` },
        payload: {},
      });
      expect(app.statusCode).toBe(503);
      expect(app.body).not.toContain('Connection terminated'); // no internal message leaks
    } finally {
      plugin.broken = false;
    }
  });

  it('answers in time on a real socket too, where a request with a body used to cancel the timeout', async () => {
    const path = '/alipayplus/v1/payments/inquiryPayment';
    const raw = JSON.stringify(ALIPAYPLUS_ROUTES.find((r) => r.path === path)!.sample);
    const address = await slowApp.app.listen({ host: '127.0.0.1', port: 0 });
    const requestTime = isoWithOffset(new Date());
    const signature = await sign({ method: 'POST', uri: path, clientId: TEST_CLIENT_ID, time: requestTime, body: raw }, testKeys.aplusPrivate);
    plugin.slow = true;
    try {
      const started = Date.now();
      const res = await fetch(`${address}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'client-id': TEST_CLIENT_ID,
          'request-time': requestTime,
          signature: signatureHeader('1', signature),
        },
        body: raw,
      });
      expect(Date.now() - started).toBeLessThan(1200);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { result: unknown }).result).toMatchObject({ resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' });
    } finally {
      plugin.slow = false;
    }
  });

  it('answers an app route with 503 and a JSON reason in time', async () => {
    plugin.slow = true;
    const started = Date.now();
    const res = await slowApp.app.inject({ method: 'POST', url: '/app/v1/authCodes', headers: { authorization: `Bearer ${await appJwt('slow-nobody')}` }, payload: {} });
    expect(Date.now() - started).toBeLessThan(1200);
    expect(res.statusCode).toBe(503);
    expect(res.json().result).toMatchObject({ resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' });
    plugin.slow = false;
  });
});
