/**
 * Issue 9 point 2, the app side: property-based fuzzing of every /app route in ./routes.ts that
 * the app has, with a valid JWT for a customer that does not exist (so nothing can be issued).
 * Every answer is a 4xx (or the route's own answer to merely odd but valid input) with a
 * well-formed JSON `{result}`, never a 5xx, and no table gains or loses a row. Rate limits are off
 * here (they have their own test in test/security/rate-limits.test.ts).
 */
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH } from '../../src/http/hostile-input.ts';
import { appJwt, testApp } from '../support/harness.ts';
import { APP_ROUTES, type AppRouteEntry } from './routes.ts';
import {
  absurdAmount,
  allPaths,
  amountPaths,
  edgeString,
  expectAppAnswer,
  expectUnchanged,
  FUZZ_RUNS,
  getAt,
  holdsRefusedText,
  malformedJson,
  nestedText,
  nonObjectJson,
  type Path,
  pathName,
  type RowCounts,
  rowCounts,
  seedData,
  setAt,
  stringPaths,
  withRawAt,
  wrongTypeFor,
} from './support.ts';

const t = await testApp({ env: { RATE_LIMIT_APP_PER_MINUTE: '0', RATE_LIMIT_OPS_PER_MINUTE: '0', ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE: '0' } });
const present = APP_ROUTES.filter((r) => t.app.hasRoute({ method: r.method, url: r.url }));
const db = t.database.db;
const limit = t.config.bodyLimitBytes;
const jwt = await appJwt('fuzz-nobody');

let before: RowCounts;
beforeAll(async () => {
  await seedData(t.app, 'fuzz-app-seeded');
  before = await rowCounts(db);
});
afterAll(async () => t.close());

const runs = (n = FUZZ_RUNS) => ({ numRuns: n });

function urlOf(route: AppRouteEntry, params: Readonly<Record<string, string>> = route.params ?? {}): string {
  return route.url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
}

describe.each(present)('$method $url under hostile input', (route: AppRouteEntry) => {
  async function answered(o: { payload?: string | Buffer; headers?: Record<string, string | undefined>; url?: string }) {
    // A body (and so its content type) only where the route takes one: an empty JSON body is refused as malformed.
    const headers: Record<string, string> = {
      authorization: `Bearer ${jwt}`,
      ...(route.method === 'POST' || o.payload !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    for (const [k, v] of Object.entries(o.headers ?? {})) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    const request: InjectOptions = { method: route.method, url: o.url ?? urlOf(route), headers };
    if (route.method === 'POST') request.payload = o.payload ?? JSON.stringify(route.sample ?? {});
    const res = await t.app.inject(request);
    const r = expectAppAnswer(res);
    expectUnchanged(before, await rowCounts(db), route.unchangedTables);
    return { status: res.statusCode, ...r };
  }
  const is4xx = (s: number) => s >= 400 && s < 500;

  it(`answers its sample with HTTP ${route.sampleStatus}`, async () => {
    expect((await answered({})).status).toBe(route.sampleStatus);
  });

  it('answers a missing, malformed or foreign Authorization header with 401 and a reason', async () => {
    const auth = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 100 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      fc.string({ maxLength: 300 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, 'x')}`),
      fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${jwt}x`, `Bearer ${jwt.slice(0, -2)}`, `bearer  ${'a'.repeat(9000)}`),
      fc.constant(`Bearer ${jwt.split('.').slice(0, 2).join('.')}.`), // alg-stripped signature
    );
    await fc.assert(
      fc.asyncProperty(auth, async (authorization) => {
        const r = await answered({ headers: { authorization } });
        expect(r.status).toBe(401);
        expect(r.resultCode).toBe('ACCESS_DENIED');
      }),
      runs(),
    );
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"fuzz-nobody","exp":9999999999}').toString('base64url')}.`;
    expect((await answered({ headers: { authorization: `Bearer ${unsigned}` } })).status).toBe(401);
  });

  if (route.params) {
    const params = route.params;
    it('answers hostile path parameters with a 4xx; NUL and lone surrogates with 400 naming the parameter', async () => {
      const names = Object.keys(params);
      const value = fc.oneof(
        edgeString(),
        fc.integer({ min: 90, max: 5000 }).map((n) => 'p'.repeat(n)),
        fc.constantFrom('..', '.', '%', '%zz', '%00', '/', '?x=1', '#'),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...names), value, async (name, v) => {
          let url: string;
          try {
            url = urlOf(route, { ...params, [name]: v });
          } catch {
            return; // encodeURIComponent refuses lone surrogates: no client can send one that way; raw bytes below
          }
          const r = await answered({ url });
          expect(is4xx(r.status) || r.status === route.sampleStatus).toBe(true);
          if (holdsRefusedText(v)) expect(r).toMatchObject({ status: 400, resultCode: 'PARAM_ILLEGAL' });
        }),
        runs(),
      );
      // raw percent-encoding that is not UTF-8, and an over-long parameter: 400 / 414 with a {result}
      for (const raw of ['%ff', '%ed%a0%80', '%c0%af', '%zz']) {
        expect((await answered({ url: route.url.replace(/:\w+/g, raw) })).status).toBe(400);
      }
      expect((await answered({ url: route.url.replace(/:\w+/g, 'p'.repeat(101)) })).status).toBe(414);
    });
  }

  if (route.method === 'POST' && route.sample) {
    const sample = route.sample;
    const sampleText = JSON.stringify(sample);
    const paths = allPaths(sample).filter((p) => !route.untypedFields?.includes(pathName(p)));
    const strings = stringPaths(sample);
    const topKeys = Object.keys(sample);

    it('answers malformed JSON with 400 PARAM_ILLEGAL', async () => {
      await fc.assert(
        fc.asyncProperty(malformedJson(sampleText), async (payload) => {
          expect(await answered({ payload })).toMatchObject({ status: 400, resultCode: 'PARAM_ILLEGAL' });
        }),
        runs(),
      );
    });

    it('answers a JSON value that is not an object with a 4xx', async () => {
      await fc.assert(
        fc.asyncProperty(nonObjectJson, async (payload) => {
          expect(is4xx((await answered({ payload })).status)).toBe(true);
        }),
        runs(),
      );
    });

    it('answers a wrong type in any field with 400 PARAM_ILLEGAL naming the field', async () => {
      const mutation = fc.constantFrom<Path>(...paths).chain((p) => wrongTypeFor(getAt(sample, p)).map((v) => [p, v] as const));
      await fc.assert(
        fc.asyncProperty(mutation, async ([p, value]) => {
          const r = await answered({ payload: JSON.stringify(setAt(sample, p, value)) });
          if (value === null) expect(is4xx(r.status) || r.status === route.sampleStatus).toBe(true);
          else {
            expect(r).toMatchObject({ status: 400, resultCode: 'PARAM_ILLEGAL' });
            // A generated object may carry a __proto__ key (or constructor.prototype): the JSON
            // parser refuses the body before any field is looked at (the test below covers that).
            if (poisoned(value)) expect(r.resultMessage).toBe('Request body is not valid JSON');
            else expect(r.resultMessage).toContain(pathName(p));
          }
        }),
        runs(),
      );
    });

    it('answers huge strings with a 4xx, and 413 with a JSON reason once the body is over BODY_LIMIT_BYTES', async () => {
      const huge = fc.record({ p: fc.constantFrom(...strings), n: fc.integer({ min: 100, max: limit + 1000 }), unit: fc.constantFrom('x', 'é', '😀') });
      await fc.assert(
        fc.asyncProperty(huge, async ({ p, n, unit }) => {
          const payload = JSON.stringify(setAt(sample, p, unit.repeat(Math.ceil(n / unit.length))));
          const r = await answered({ payload });
          expect(is4xx(r.status) || r.status === route.sampleStatus).toBe(true);
          if (Buffer.byteLength(payload) > limit) expect(r).toMatchObject({ status: 413, resultCode: 'PARAM_ILLEGAL', resultMessage: 'Request body is too large' });
        }),
        runs(Math.max(10, FUZZ_RUNS / 2)),
      );
    });

    it(`answers nesting deeper than ${MAX_BODY_DEPTH} levels, up to 10,000 and past the body limit, with a 4xx`, async () => {
      const nested = fc.record({
        at: fc.constantFrom<Path>(...paths, ['extraField']),
        depth: fc.oneof(fc.integer({ min: MAX_BODY_DEPTH, max: 200 }), fc.integer({ min: 200, max: 40_000 }), fc.constant(10_000)),
        style: fc.constantFrom('array' as const, 'object' as const, 'mixed' as const),
      });
      await fc.assert(
        fc.asyncProperty(nested, async ({ at, depth, style }) => {
          const r = await answered({ payload: withRawAt(sample, at, nestedText(depth, style)) });
          expect([400, 413]).toContain(r.status);
        }),
        runs(),
      );
      for (const depth of [10_000, 100_000]) expect([400, 413]).toContain((await answered({ payload: nestedText(depth, 'array') })).status);
    });

    it('answers unicode edge cases with a 4xx or the route answer; NUL and lone surrogates with 400 naming the field', async () => {
      const mutation = fc.record({ p: fc.constantFrom(...strings), s: edgeString() });
      await fc.assert(
        fc.asyncProperty(mutation, async ({ p, s }) => {
          const r = await answered({ payload: JSON.stringify(setAt(sample, p, s)) });
          expect(is4xx(r.status) || r.status === route.sampleStatus).toBe(true);
          if (holdsRefusedText(s)) {
            expect(r).toMatchObject({ status: 400, resultCode: 'PARAM_ILLEGAL' });
            expect(r.resultMessage).toContain(pathName(p));
          }
        }),
        runs(),
      );
    });

    it('reads duplicated keys as JSON.parse does: the last one wins', async () => {
      const dup = fc.record({ key: fc.constantFrom(...topKeys), value: fc.jsonValue({ maxDepth: 2 }) });
      const sampleStatus = (await answered({})).status;
      await fc.assert(
        fc.asyncProperty(dup, async ({ key, value }) => {
          const first = `{${JSON.stringify(key)}:${JSON.stringify(value)},${sampleText.slice(1)}`;
          expect((await answered({ payload: first })).status).toBe(sampleStatus);
          const last = `${sampleText.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`;
          const single = await answered({ payload: JSON.stringify({ ...sample, [key]: value }) });
          expect(await answered({ payload: last })).toEqual(single);
        }),
        runs(Math.max(10, FUZZ_RUNS / 2)),
      );
    });

    it('refuses __proto__ and constructor keys with 400 (secure-json-parse), and no prototype is polluted', async () => {
      for (const key of ['__proto__', 'constructor']) {
        const payload = `{${JSON.stringify(key)}:{"polluted":"yes","prototype":{"polluted":"yes"}},${sampleText.slice(1)}`;
        expect(await answered({ payload })).toMatchObject({ status: 400, resultCode: 'PARAM_ILLEGAL' });
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('answers any Content-Type with a 4xx or the route answer', async () => {
      const ct = fc.oneof(
        fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', ''),
      );
      await fc.assert(
        fc.asyncProperty(ct, async (contentType) => {
          const r = await answered({ headers: { 'content-type': contentType } });
          expect(is4xx(r.status) || r.status === route.sampleStatus).toBe(true);
        }),
        runs(Math.max(10, FUZZ_RUNS / 2)),
      );
    });

    const amounts = amountPaths(sample);
    if (amounts.length > 0) {
      it('answers absurd amounts with 400 naming the field', async () => {
        await fc.assert(
          fc.asyncProperty(absurdAmount(sample, amounts), async ([body, field]) => {
            const r = await answered({ payload: JSON.stringify(body) });
            expect(r.status).toBe(400);
            expect(r.resultMessage).toContain(field);
          }),
          runs(),
        );
      });
    }
  }
});

/** True when secure-json-parse (Fastify's JSON parser, protoAction/constructorAction 'error') refuses the value. */
function poisoned(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const own = value as Record<string, unknown>;
  if (Object.hasOwn(own, '__proto__')) return true;
  const ctor = Object.hasOwn(own, 'constructor') ? own.constructor : undefined;
  if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.keys(own).some((k) => poisoned(own[k]));
}
describe('the app fuzz itself', () => {
  it('drives POST /app/v1/authCodes, the app route this branch has', () => {
    expect(present.map((r) => `${r.method} ${r.url}`)).toContain('POST /app/v1/authCodes');
  });
});
