import { describe, expect, it } from 'vitest';
import {
  expectRequestMatchesOpenApi,
  expectResponseMatchesOpenApi,
  expectWebhookRequestMatchesOpenApi,
  expectWebhookResponseMatchesOpenApi,
  findOperation,
  OpenApiDriftError,
  openApiDocument,
  type ResponseLike,
} from '../support/openapi.ts';

type Json = Record<string, unknown>;

const signedHeaders = { 'content-type': 'application/json; charset=UTF-8', 'client-id': 'C', 'response-time': 't', signature: 's' };
const json = (statusCode: number, body: unknown, headers: Record<string, string> = signedHeaders): ResponseLike => ({
  statusCode,
  headers,
  body: JSON.stringify(body),
});
const ok = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' };
const inquiry = '/alipayplus/v1/payments/inquiryPayment';

/** service-interface.md, "HTTP routes": every route any client may rely on. */
const FIXED_ROUTES: readonly [string, string][] = [
  ['POST', '/alipayplus/v1/authorizations/applyToken'],
  ['POST', '/alipayplus/v1/authorizations/cancelToken'],
  ['POST', '/alipayplus/v1/users/inquiryUserInfo'],
  ['POST', '/alipayplus/v1/payments/pay'],
  ['POST', '/alipayplus/v1/payments/inquiryPayment'],
  ['POST', '/alipayplus/v1/payments/cancelPayment'],
  ['POST', '/alipayplus/v1/payments/refund'],
  ['POST', '/app/v1/authCodes'],
  ['POST', '/app/v1/codes/identify'],
  ['GET', '/app/v1/payments/P1'],
  ['POST', '/app/v1/payments/initiate'],
  ['GET', '/cashier/tok'],
  ['POST', '/cashier/tok'],
  ['POST', '/ops/v1/customers'],
  ['POST', '/ops/v1/customers/C1/topUps'],
  ['PATCH', '/ops/v1/customers/C1'],
  ['GET', '/ops/v1/customers/C1'],
  ['GET', '/ops/v1/codeLists/LOCAL'],
  ['POST', '/ops/v1/codeLists/ALLOWLIST/entries'],
  ['DELETE', '/ops/v1/codeLists/BLOCKLIST/entries/7'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/metrics'],
];

/** Every schema node of the document with the chain of nodes above it. */
function* schemaNodes(node: unknown, ancestors: Json[] = []): Generator<{ node: Json; ancestors: Json[] }> {
  if (Array.isArray(node)) {
    for (const item of node) yield* schemaNodes(item, ancestors);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as Json;
  yield { node: n, ancestors };
  for (const child of Object.values(n)) yield* schemaNodes(child, [...ancestors, n]);
}

/** Runs a check on a body that may well be invalid: what must not happen is a schema compile error. */
function expectCompiles(check: () => void): void {
  try {
    check();
  } catch (err) {
    expect(err).toBeInstanceOf(OpenApiDriftError);
  }
}

describe('openapi.yaml', () => {
  it('documents every route that service-interface.md fixes', () => {
    for (const [method, path] of FIXED_ROUTES) expect(() => findOperation(method, path), `${method} ${path}`).not.toThrow();
  });

  it('documents the calls to Alipay+ as webhooks', () => {
    const hooks = openApiDocument().webhooks as Json;
    expect(Object.keys(hooks).sort()).toEqual(['inquiryCodeRules', 'notifyPayment', 'userInitiatedPay']);
  });

  it('declares every required property, also those an if/then or allOf requires', () => {
    const undeclared: string[] = [];
    for (const { node, ancestors } of schemaNodes(openApiDocument().components)) {
      if (!Array.isArray(node.required) || node.type === 'array') continue;
      // The properties in scope: this node's, and those of the object schemas it is nested in
      // through if/then/else/allOf (never past a `properties` map, which starts a new object).
      const declared = new Set(Object.keys((node.properties ?? {}) as Json));
      for (let i = ancestors.length - 1; i >= 0; i--) {
        const a = ancestors[i]!;
        const child = ancestors[i + 1] ?? node;
        if (a.properties === child || (a.properties && Object.values(a.properties as Json).includes(child))) break;
        for (const k of Object.keys((a.properties ?? {}) as Json)) declared.add(k);
      }
      for (const r of node.required as string[]) if (!declared.has(r)) undeclared.push(`${r} in ${JSON.stringify(node).slice(0, 80)}`);
    }
    expect(undeclared).toEqual([]);
  });

  it('compiles every documented response and request schema (strict: no unknown keyword)', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, Json>>;
    let compiled = 0;
    for (const [template, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        const concrete = template.replace(/\{[^}]+\}/g, 'x');
        for (const status of Object.keys(op.responses as Json)) {
          const code = status.replace('XX', '00');
          // A body that is valid JSON for every schema's type check to run on; the error, if any,
          // must be a validation error, never a schema compile error.
          expectCompiles(() =>
            expectResponseMatchesOpenApi(method, concrete, { statusCode: Number(code), headers: { 'content-type': 'application/json', location: '/' }, body: '{}' }),
          );
          compiled++;
        }
        const body = (op.requestBody as { content?: Json } | undefined)?.content;
        if (body && 'application/json' in body) {
          expectCompiles(() => expectRequestMatchesOpenApi(method, concrete, {}));
          compiled++;
        }
      }
    }
    for (const name of ['notifyPayment', 'inquiryCodeRules']) {
      expectCompiles(() => expectWebhookRequestMatchesOpenApi(name, {}));
      expectCompiles(() => expectWebhookResponseMatchesOpenApi(name, { statusCode: 200, headers: signedHeaders, body: '{}' }));
      compiled += 2;
    }
    expect(compiled).toBeGreaterThan(70);
  });
});

describe('the response checker', () => {
  it('accepts a documented answer: inquiryPayment F ORDER_NOT_EXIST, signed', () => {
    expect(() =>
      expectResponseMatchesOpenApi('POST', inquiry, json(200, { result: { resultCode: 'ORDER_NOT_EXIST', resultStatus: 'F', resultMessage: 'Order does not exist' } })),
    ).not.toThrow();
  });

  it('refuses a path no operation documents, naming the opt-out header', () => {
    expect(() => expectResponseMatchesOpenApi('GET', '/nope', json(404, {}))).toThrow(/no path matching GET \/nope[\s\S]*x-test-skip-openapi/);
  });

  it('refuses a method the path does not document', () => {
    expect(() => expectResponseMatchesOpenApi('DELETE', '/healthz', json(200, {}))).toThrow(/documents \/healthz for GET, not DELETE/);
  });

  it('refuses an undocumented status code', () => {
    expect(() => expectResponseMatchesOpenApi('GET', '/healthz', json(500, { status: 'ok' }))).toThrow(/status 500 is not documented/);
  });

  it('refuses a field the contract does not name (additionalProperties: false)', () => {
    const res = json(200, {
      result: { ...ok, resultMessage: 'x' },
      paymentResult: ok,
      paymentId: 'P',
      paymentAmount: { currency: 'JPY', value: '100' },
      payToAmount: { currency: 'KRW', value: '1000' },
      customerId: 'C',
      paymentTime: '2020-01-01T12:01:01+08:00',
      extra: '1',
    });
    expect(() => expectResponseMatchesOpenApi('POST', inquiry, res)).toThrow(/must NOT have additional properties "extra"/);
  });

  it('refuses a scalar that is not a string (§1) and a time without an offset', () => {
    const res = json(200, {
      result: ok,
      paymentResult: ok,
      paymentId: 'P',
      paymentAmount: { currency: 'JPY', value: 100 },
      payToAmount: { currency: 'KRW', value: '1000' },
      customerId: 'C',
      paymentTime: '2020-01-01T04:01:01.000Z',
    });
    expect(() => expectResponseMatchesOpenApi('POST', inquiry, res)).toThrow(/\/paymentAmount\/value: must be string/);
    expect(() => expectResponseMatchesOpenApi('POST', inquiry, res)).toThrow(/\/paymentTime: must match pattern/);
  });

  it('refuses a success that lacks the fields the contract requires on S', () => {
    expect(() => expectResponseMatchesOpenApi('POST', inquiry, json(200, { result: ok }))).toThrow(/must have required property 'paymentResult'/);
  });

  it('refuses a result code the route cannot answer', () => {
    const res = json(200, { result: { resultCode: 'USED_CODE', resultStatus: 'F', resultMessage: 'x' } });
    expect(() => expectResponseMatchesOpenApi('POST', inquiry, res)).toThrow(/resultCode: must be equal to one of the allowed values/);
  });

  it('accepts an Alipay+ route answer without the signature headers (issue 16: a refusal to a caller that is not Alipay+ is unsigned)', () => {
    const res = json(200, { result: { resultCode: 'INVALID_CLIENT', resultStatus: 'F', resultMessage: 'x' } }, { 'content-type': 'application/json; charset=UTF-8' });
    expect(() => expectResponseMatchesOpenApi('POST', inquiry, res)).not.toThrow();
  });

  it('refuses an undocumented content type', () => {
    expect(() => expectResponseMatchesOpenApi('GET', '/healthz', { statusCode: 200, headers: { 'content-type': 'text/html' }, body: '<p>' })).toThrow(
      /content type text\/html is not documented/,
    );
  });

  it('matches path templates, the most literal one first, ignoring the query', () => {
    expect(findOperation('GET', '/app/v1/payments/P-123?x=1').template).toBe('/app/v1/payments/{paymentId}');
    expect(findOperation('POST', '/ops/v1/customers/C1/topUps').template).toBe('/ops/v1/customers/{customerId}/topUps');
    expect(findOperation('DELETE', '/ops/v1/codeLists/LOCAL/entries/9').template).toBe('/ops/v1/codeLists/{kind}/entries/{entryId}');
  });

  it('accepts a 4XX range answer of the cashier as HTML', () => {
    expect(() =>
      expectResponseMatchesOpenApi('GET', '/cashier/abc', { statusCode: 410, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<p>expired</p>' }),
    ).not.toThrow();
  });

  it('validates requests and webhook bodies too', () => {
    expect(() => expectRequestMatchesOpenApi('POST', inquiry, { pspId: '1', acquirerId: '2' })).toThrow(/must have required property 'paymentRequestId'/);
    const notify = {
      paymentResult: { resultCode: 'PAYMENT_IN_PROCESS', resultStatus: 'U', resultMessage: 'x' },
      paymentRequestId: 'R',
      paymentId: 'P',
      paymentAmount: { currency: 'JPY', value: '100' },
      payToAmount: { currency: 'KRW', value: '1000' },
      customerId: 'C',
    };
    expect(() => expectWebhookRequestMatchesOpenApi('notifyPayment', notify)).toThrow(
      /paymentResult\/resultStatus: must be equal to one of the allowed values \["S","F"\]/,
    );
  });
});
