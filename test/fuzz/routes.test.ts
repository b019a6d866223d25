/**
 * Keeps ./routes.ts honest: every /alipayplus and /app route the app has is in the table (so it
 * is fuzzed), and the entries whose route is missing are exactly the ones EXPECTED_ABSENT names
 * (so a route that lands is noticed, and its entry checked, rather than fuzzed silently or not at all).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testApp } from '../support/harness.ts';
import { ALIPAYPLUS_ROUTES, APP_ROUTES, EXPECTED_ABSENT, routeName } from './routes.ts';
import { registeredRoutes } from './support.ts';

const t = await testApp({ env: { ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE: '0' } });
afterAll(async () => t.close());

const entries = [...ALIPAYPLUS_ROUTES.map((r) => ({ method: 'POST' as const, url: r.path })), ...APP_ROUTES.map((r) => ({ method: r.method, url: r.url }))];

describe('the fuzzed route table (test/fuzz/routes.ts)', () => {
  it('has an entry for every /alipayplus and /app route the app has', () => {
    const registered = registeredRoutes(t.app).filter((r) => / \/(alipayplus|app)\//.test(r));
    expect(registered.length).toBeGreaterThanOrEqual(5);
    const listed = new Set(entries.map((e) => routeName(e.method, e.url)));
    expect(
      registered.filter((r) => !listed.has(r)),
      'routes with no entry in test/fuzz/routes.ts',
    ).toEqual([]);
  });

  it('lists as absent exactly the routes this branch does not have yet (take a route out of EXPECTED_ABSENT when it lands)', () => {
    const absent = entries.filter((e) => !t.app.hasRoute(e)).map((e) => routeName(e.method, e.url));
    expect(absent).toEqual([...EXPECTED_ABSENT]);
  });

  it('names each route once', () => {
    const names = entries.map((e) => routeName(e.method, e.url));
    expect(new Set(names).size).toBe(names.length);
  });
});
