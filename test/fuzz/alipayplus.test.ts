/**
 * Issue 9 point 2, the Alipay+ side: property-based fuzzing of every /alipayplus route in
 * ./routes.ts that the app has. Each fuzzed body is signed properly (the raw bytes, as Alipay+
 * would), so it gets past the envelope and reaches the parsers and validators; the envelope itself
 * is fuzzed separately through its headers. Every answer must be HTTP 200, a well-formed signed
 * `{result}` with status F (never S for garbage, never the U of an unexpected error), and no
 * table may gain or lose a row.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWithOffset } from '../../src/alipayplus/wire-time.ts';
import { MAX_BODY_DEPTH } from '../../src/http/hostile-input.ts';
import { sign } from '../../src/alipayplus/signature.ts';
import { TEST_CLIENT_ID, testApp, testKeys } from '../support/harness.ts';
import { ALIPAYPLUS_ROUTES, type AlipayPlusRouteEntry } from './routes.ts';
import {
  absurdAmount,
  allPaths,
  amountPaths,
  EDGE_CHARS,
  edgeString,
  expectAlipayPlusRefusal,
  expectUnchanged,
  FUZZ_RUNS,
  getAt,
  holdsRefusedText,
  INVALID_UTF8,
  malformedJson,
  nestedText,
  nonObjectJson,
  type Path,
  pathName,
  type RowCounts,
  rowCounts,
  seedData,
  setAt,
  signedRawPost,
  stringPaths,
  withRawAt,
  wrongTypeFor,
} from './support.ts';

const t = await testApp({ env: { RATE_LIMIT_APP_PER_MINUTE: '0', RATE_LIMIT_OPS_PER_MINUTE: '0', ALIPAYPLUS_SIGNED_REFUSALS_PER_MINUTE: '0' } });
const present = ALIPAYPLUS_ROUTES.filter((r) => t.app.hasRoute({ method: 'POST', url: r.path }));
const db = t.database.db;
const limit = t.config.bodyLimitBytes;
const ENVELOPE_CODES = ['INVALID_CLIENT', 'INVALID_SIGNATURE', 'KEY_NOT_FOUND'];

let before: RowCounts;
beforeAll(async () => {
  await seedData(t.app, 'fuzz-seeded-customer');
  // pay records a synchronous refusal such as USER_NOT_EXIST under its paymentRequestId (§4:
  // a repeat gets the same F), so each route's sample is sent once before the snapshot; after
  // that, the sample replays and hostile input must change nothing.
  for (const r of present) await signedRawPost(t.app, r.path, JSON.stringify(r.sample));
  before = await rowCounts(db);
});
afterAll(async () => t.close());

const runs = (n = FUZZ_RUNS) => ({ numRuns: n });

describe.each(present)('$path under hostile input', (route: AlipayPlusRouteEntry) => {
  const { path, sample } = route;
  // Each route is judged against the rows as they stand when its own suite starts (a route
  // before it may legitimately have recorded a refusal: see pay's entry in routes.ts).
  beforeAll(async () => {
    before = await rowCounts(db);
  });
  const sampleText = JSON.stringify(sample);
  const strings = stringPaths(sample);
  const paths = allPaths(sample);
  const topKeys = Object.keys(sample);

  /** Posts raw bytes signed, and checks the §1 refusal and the row counts. */
  async function refused(raw: Buffer | string, o: Parameters<typeof signedRawPost>[3] = {}) {
    const res = await signedRawPost(t.app, path, raw, o);
    const r = await expectAlipayPlusRefusal(path, res);
    expectUnchanged(before, await rowCounts(db), route.unchangedTables);
    return r;
  }

  it(`answers its sample body with F ${route.sampleResultCode}: the sample passes validation`, async () => {
    expect((await refused(sampleText)).resultCode).toBe(route.sampleResultCode);
  });

  it('answers malformed JSON (truncated, trailing garbage, NaN/Infinity, comments, quotes) with F PARAM_ILLEGAL', async () => {
    await fc.assert(
      fc.asyncProperty(malformedJson(sampleText), async (raw) => {
        expect((await refused(raw)).resultCode).toBe('PARAM_ILLEGAL');
      }),
      runs(),
    );
  });

  it('answers a JSON value that is not an object, or random bytes, with F PARAM_ILLEGAL', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          nonObjectJson,
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        ),
        async (raw) => {
          expect((await refused(raw)).resultCode).toBe('PARAM_ILLEGAL');
        },
      ),
      runs(),
    );
  });

  it('answers a wrong type in any field (number, boolean, array, object, null) with F, PARAM_ILLEGAL naming the field', async () => {
    const typed = paths.filter((p) => !route.untypedFields?.includes(pathName(p)));
    const mutation = fc.constantFrom(...typed).chain((p) => wrongTypeFor(getAt(sample, p)).map((v) => [p, v] as const));
    await fc.assert(
      fc.asyncProperty(mutation, async ([p, value]) => {
        const r = await refused(JSON.stringify(setAt(sample, p, value)));
        // null is how Alipay+ may send an absent optional field; only non-null wrong types must name the field.
        if (value !== null) {
          expect(r.resultCode).toBe('PARAM_ILLEGAL');
          expect(r.resultMessage).toContain(pathName(p));
        }
      }),
      runs(),
    );
  });

  it('answers huge strings in any field with F, and PARAM_ILLEGAL once the body is over BODY_LIMIT_BYTES', async () => {
    const huge = fc.record({
      p: fc.constantFrom(...strings),
      n: fc.integer({ min: 100, max: limit + 1000 }),
      unit: fc.constantFrom('x', 'é', '😀', '\u202e'),
    });
    await fc.assert(
      fc.asyncProperty(huge, async ({ p, n, unit }) => {
        const raw = JSON.stringify(setAt(sample, p, unit.repeat(Math.ceil(n / unit.length))));
        const r = await refused(raw);
        if (Buffer.byteLength(raw) > limit) expect(r).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultMessage: 'Request body is too large' });
      }),
      runs(Math.max(10, FUZZ_RUNS / 2)),
    );
  });

  it(`answers nesting deeper than ${MAX_BODY_DEPTH} levels anywhere, up to 10,000 levels and past the body limit, with F PARAM_ILLEGAL`, async () => {
    const nested = fc.record({
      at: fc.constantFrom<Path>(...paths, ['extraField']),
      depth: fc.oneof(fc.integer({ min: MAX_BODY_DEPTH, max: 200 }), fc.integer({ min: 200, max: 40_000 }), fc.constant(10_000)),
      style: fc.constantFrom('array' as const, 'object' as const, 'mixed' as const),
    });
    await fc.assert(
      fc.asyncProperty(nested, async ({ at, depth, style }) => {
        expect((await refused(withRawAt(sample, at, nestedText(depth, style)))).resultCode).toBe('PARAM_ILLEGAL');
      }),
      runs(),
    );
    // The whole body nested, 10,000 and 100,000 levels: no stack overflow, no 500.
    for (const depth of [10_000, 100_000]) expect((await refused(nestedText(depth, 'array'))).resultCode).toBe('PARAM_ILLEGAL');
  });

  const overlongName = fc.record({ n: fc.integer({ min: 1000, max: 20_000 }), c: fc.constantFrom('k', 'é', '😀', '\u202e') }).map(({ n, c }) => c.repeat(n));

  it('answers unicode edge cases in any field or field name with F; NUL and lone surrogates with PARAM_ILLEGAL naming the field', async () => {
    const inValue = fc.record({ p: fc.constantFrom(...strings), s: edgeString() }).map(({ p, s }) => ({ body: setAt(sample, p, s), text: s, field: pathName(p) }));
    const inKey = fc.oneof(edgeString(), overlongName).map((key) => ({ body: { ...sample, [key]: 'x' }, text: key, field: undefined as string | undefined }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(inValue, inKey), async ({ body, text, field }) => {
        const r = await refused(JSON.stringify(body));
        if (holdsRefusedText(text)) {
          expect(r.resultCode).toBe('PARAM_ILLEGAL');
          if (field) expect(r.resultMessage).toContain(field);
        }
      }),
      runs(),
    );
    // Each edge character once, in each text field in turn.
    for (const [i, c] of EDGE_CHARS.entries()) {
      const p = strings[i % strings.length]!;
      const r = await refused(JSON.stringify(setAt(sample, p, `a${c}b`)));
      if (holdsRefusedText(c)) expect(r.resultMessage).toContain(pathName(p));
    }
  });

  it('answers bytes that are not UTF-8, inside any text field, with F PARAM_ILLEGAL', async () => {
    const bad = fc.record({ p: fc.constantFrom(...strings), bytes: fc.constantFrom(...INVALID_UTF8) });
    await fc.assert(
      fc.asyncProperty(bad, async ({ p, bytes }) => {
        const [head, tail] = JSON.stringify(setAt(sample, p, '\u0001MARK\u0001')).split('\\u0001MARK\\u0001') as [string, string];
        const r = await refused(Buffer.concat([Buffer.from(head), bytes, Buffer.from(tail)]));
        expect(r).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultMessage: 'Request body is not valid UTF-8' });
      }),
      runs(Math.min(FUZZ_RUNS, INVALID_UTF8.length * strings.length)),
    );
  });

  it('reads duplicated keys as JSON.parse does: the last one wins (the signature covers the bytes with both)', async () => {
    const dup = fc.record({ key: fc.constantFrom(...topKeys), value: fc.jsonValue({ maxDepth: 2 }) });
    const sampleAnswer = (await refused(sampleText)).resultCode;
    await fc.assert(
      fc.asyncProperty(dup, async ({ key, value }) => {
        // first the odd value, then the sample's: the sample's wins
        const first = `{${JSON.stringify(key)}:${JSON.stringify(value)},${sampleText.slice(1)}`;
        expect((await refused(first)).resultCode).toBe(sampleAnswer);
        // the sample's, then the odd value: the same answer as a body holding only the odd value
        const last = `${sampleText.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`;
        const single = JSON.stringify({ ...sample, [key]: value });
        expect((await refused(last)).resultCode).toBe((await refused(single)).resultCode);
      }),
      runs(Math.max(10, FUZZ_RUNS / 2)),
    );
  });

  it('treats __proto__ and constructor keys as plain unknown fields: the sample answer, and no prototype polluted', async () => {
    const keys = fc.constantFrom('__proto__', 'constructor', 'prototype');
    const at = fc.constantFrom<Path>([], ...paths.filter((p) => typeof getAt(sample, p) === 'object'));
    await fc.assert(
      fc.asyncProperty(keys, at, async (key, p) => {
        const payload = { polluted: 'yes', prototype: { polluted: 'yes' } };
        const raw =
          p.length === 0
            ? `{${JSON.stringify(key)}:${JSON.stringify(payload)},${sampleText.slice(1)}`
            : withRawAt(sample, p, `{${JSON.stringify(key)}:${JSON.stringify(payload)},${JSON.stringify(getAt(sample, p)).slice(1)}`);
        expect((await refused(raw)).resultCode).toBe(route.sampleResultCode);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
      }),
      runs(Math.max(10, FUZZ_RUNS / 4)),
    );
  });

  const amounts = amountPaths(sample);
  if (amounts.length > 0) {
    it('answers absurd amounts ("1e30", "-1", "00", "0x10", 30 digits, bad currencies) with F naming the field', async () => {
      await fc.assert(
        fc.asyncProperty(absurdAmount(sample, amounts), async ([body, field]) => {
          const r = await refused(JSON.stringify(body));
          expect(['PARAM_ILLEGAL', 'CURRENCY_NOT_SUPPORT']).toContain(r.resultCode);
          expect(r.resultMessage).toContain(field);
        }),
        runs(),
      );
    });
  }

  // -------------------------------------------------------------------------------------------
  // The envelope: the route must never run on a request whose headers do not verify.

  const printable = (maxLength: number) =>
    fc.string({
      unit: fc
        .integer({ min: 0x20, max: 0xff })
        .filter((c) => c !== 0x7f)
        .map((c) => String.fromCharCode(c)),
      maxLength,
    });

  it('answers garbage Signature headers with an envelope refusal, never running the route', async () => {
    const otherSignature = await sign(
      { method: 'POST', uri: '/somewhere/else', clientId: TEST_CLIENT_ID, time: isoWithOffset(new Date()), body: sampleText },
      testKeys.aplusPrivate,
    );
    const value = fc.oneof(
      printable(200),
      fc.integer({ min: 4097, max: 100_000 }).map((n) => 'S'.repeat(n)),
      fc
        .record({
          algorithm: fc.constantFrom('RSA256', 'rsa256', 'RSA', 'HS256', 'none', '', 'RSA256 '),
          keyVersion: fc.oneof(fc.constantFrom('1', '01', ' 1', '2', '', '-1', '1'.repeat(500)), printable(10)),
          signature: fc.oneof(
            fc.constant(otherSignature),
            fc.base64String({ maxLength: 400 }),
            fc.base64String({ maxLength: 400 }).map(encodeURIComponent),
            fc.constantFrom('', '%zz', '%', '=', 'A'.repeat(2000), '%2B%2F%3D'),
            printable(100),
          ),
          sep: fc.constantFrom(',', ', ', ' , ', ';'),
        })
        .chain(({ algorithm, keyVersion, signature, sep }) => fc.constant(`algorithm=${algorithm}${sep}keyVersion=${keyVersion}${sep}signature=${signature}`)),
    );
    const headerValue = fc.oneof(
      value.map((v) => v as string | string[] | undefined),
      fc.array(value, { minLength: 2, maxLength: 3 }),
      fc.constant(undefined),
    );
    await fc.assert(
      fc.asyncProperty(headerValue, async (signature) => {
        const r = await refused(sampleText, {
          headers: { signature: typeof signature === 'string' ? signature : signature === undefined ? undefined : (signature as string[]) },
        });
        expect(ENVELOPE_CODES).toContain(r.resultCode);
      }),
      runs(),
    );
  });

  it('answers a Client-Id that is not ours (any text, huge, doubled, padded) with INVALID_CLIENT', async () => {
    const clientId = fc
      .oneof(
        printable(80),
        fc.integer({ min: 1000, max: 50_000 }).map((n) => 'C'.repeat(n)),
        fc.constantFrom('', ' ', 'TEST_CLIENT ', ' TEST_CLIENT', 'test_client', 'TEST_CLIENT\t', '0', 'null', '[]', 'TEST_CLIENT,TEST_CLIENT'),
      )
      .filter((c) => c !== TEST_CLIENT_ID);
    await fc.assert(
      fc.asyncProperty(clientId, async (c) => {
        // signed with that Client-Id, so only the Client-Id itself is wrong
        expect((await refused(sampleText, { clientId: c })).resultCode).toBe('INVALID_CLIENT');
      }),
      runs(),
    );
    for (const headers of [{ 'client-id': undefined }, { 'client-id': [TEST_CLIENT_ID, 'OTHER'] }, { 'client-id': ['OTHER', TEST_CLIENT_ID] }]) {
      expect(ENVELOPE_CODES).toContain((await refused(sampleText, { headers })).resultCode);
    }
  });

  it('answers a Request-Time that is malformed or outside the window with INVALID_SIGNATURE, and runs the route within it', async () => {
    const skewMs = t.config.signatureMaxSkewSeconds * 1000;
    const garbage = fc
      .oneof(
        printable(80),
        fc.integer({ min: 65, max: 20_000 }).map((n) => 'T'.repeat(n)),
      )
      .filter((s) => !/\d{4}/.test(s) && !/^\d{10,16}$/.test(s.trim()));
    const shaped = fc.record({
      offsetMs: fc.integer({ min: -3 * skewMs, max: 3 * skewMs }).filter((d) => Math.abs(Math.abs(d) - skewMs) > 10_000),
      format: fc.constantFrom('iso-z', 'iso-offset', 'iso-compact-offset', 'epoch-ms'),
    });
    const render = (at: Date, format: string): string => {
      switch (format) {
        case 'iso-z':
          return at.toISOString();
        case 'iso-offset':
          return isoWithOffset(at);
        case 'iso-compact-offset':
          return new Date(at.getTime() + 8 * 3600_000).toISOString().replace(/\.\d+Z$/, '+0800');
        default:
          return String(at.getTime());
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          garbage.map((g) => ({ g })),
          shaped,
        ),
        async (c) => {
          if ('g' in c) {
            expect((await refused(sampleText, { requestTime: c.g })).resultCode).toBe('INVALID_SIGNATURE');
            return;
          }
          const r = await refused(sampleText, { requestTime: render(new Date(Date.now() + c.offsetMs), c.format) });
          expect(r.resultCode).toBe(Math.abs(c.offsetMs) < skewMs ? route.sampleResultCode : 'INVALID_SIGNATURE');
        },
      ),
      runs(),
    );
    // epoch seconds are not epoch milliseconds (§1): a 10-digit time is in 1970
    expect((await refused(sampleText, { requestTime: String(Math.floor(Date.now() / 1000)) })).resultCode).toBe('INVALID_SIGNATURE');
  });

  it('answers huge unrelated headers normally and any Content-Type with the route answer or PARAM_ILLEGAL', async () => {
    expect((await refused(sampleText, { headers: { 'x-padding': 'p'.repeat(100_000) } })).resultCode).toBe(route.sampleResultCode);
    const contentType = fc.oneof(
      printable(60),
      fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''),
    );
    await fc.assert(
      fc.asyncProperty(contentType, async (ct) => {
        expect([route.sampleResultCode, 'PARAM_ILLEGAL']).toContain((await refused(sampleText, { headers: { 'content-type': ct } })).resultCode);
      }),
      runs(Math.max(10, FUZZ_RUNS / 2)),
    );
  });
});

describe('the Alipay+ fuzz itself', () => {
  it('drives at least the four Alipay+ routes this branch has', () => {
    expect(present.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/alipayplus/v1/authorizations/applyToken',
        '/alipayplus/v1/authorizations/cancelToken',
        '/alipayplus/v1/users/inquiryUserInfo',
        '/alipayplus/v1/payments/inquiryPayment',
      ]),
    );
  });

  it('checks the row counts of a database that holds rows', () => {
    expect(Object.values(before).some((n) => n !== '0')).toBe(true);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['auth_codes', 'access_tokens', 'grants', 'customers', 'payments']));
  });
});
