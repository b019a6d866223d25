import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOperation, openApiDocument } from '../support/openapi.ts';
import { type TestApp, testApp } from '../support/harness.ts';

// The documentation routes are not part of the API they document: opt out of the check.
const skip = { 'x-test-skip-openapi': '1' };

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

/** `method path` of every route the app registered, from Fastify's route tree. */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(?<indent>[│ ]*)[├└]── (?<segment>\S+)(?: \((?<methods>[A-Z, ]+)\))?$/u.exec(line);
    if (!m?.groups) continue;
    const depth = m.groups.indent!.length / 4;
    stack.length = depth;
    stack.push(m.groups.segment!);
    const path = stack.join('');
    for (const method of (m.groups.methods ?? '').split(',').map((s) => s.trim())) {
      if (method && method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

describe('the API documentation', () => {
  it('serves openapi.yaml as interactive docs at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs', headers: skip });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('swagger-ui');
  });

  it('serves the document itself at /docs/json, with this service as the server', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json', headers: skip });
    expect(res.statusCode).toBe(200);
    const served = res.json();
    const { servers: _servers, ...written } = openApiDocument();
    expect(served).toMatchObject(written);
    expect(served.servers).toEqual([{ url: t.config.publicBaseUrl, description: expect.any(String) }]);
  });

  it('documents every route the app registers', async () => {
    const routes = registeredRoutes(t.app.printRoutes({ commonPrefix: false })).filter((r) => !/ \/docs(\/|$)/.test(r));
    expect(routes).toEqual(expect.arrayContaining(['POST /alipayplus/v1/payments/inquiryPayment', 'PATCH /ops/v1/customers/:customerId', 'GET /healthz']));
    const undocumented = routes.filter((r) => {
      const [method, path] = r.split(' ') as [string, string];
      try {
        findOperation(method, path.replace(/:(\w+)/g, 'x').replace(/\*/g, 'x'));
        return false;
      } catch {
        return true;
      }
    });
    expect(undocumented).toEqual([]);
  });
});
