/**
 * HANDLER_TIMEOUT_MS (src/http/handler-timeout.ts): one timer for every request in flight. A
 * request still unanswered at its deadline gets FST_ERR_HANDLER_TIMEOUT (503 on a bare app), each
 * at its own deadline, at most a wake-up's spacing late; an answered request is never answered
 * twice. The service's own routes are covered in test/fuzz/limits.test.ts (a slow database).
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installHandlerTimeout } from '../../src/http/handler-timeout.ts';

const BUDGET_MS = 200;
const SPACING_MS = 10; // a twentieth of 200 ms
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: FastifyInstance;
const logged: Array<{ level: number; msg: string }> = [];
afterEach(async () => {
  await app.close();
  logged.length = 0;
});

async function build(): Promise<FastifyInstance> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  const a = Fastify({ logger: { level: 'warn', stream: sink } });
  installHandlerTimeout(a, BUDGET_MS);
  a.get('/never', () => new Promise(() => undefined));
  a.get('/after/:ms', async (req) => {
    await sleep(Number((req.params as { ms: string }).ms));
    return { ok: true };
  });
  await a.ready();
  return a;
}

describe('the handler timeout', () => {
  it('answers a request still running at its deadline with 503, on time', async () => {
    app = await build();
    const started = performance.now();
    const res = await app.inject({ method: 'GET', url: '/never' });
    const took = performance.now() - started;
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'FST_ERR_HANDLER_TIMEOUT', message: "Request timed out after 200 ms on route '/never'" });
    expect(took).toBeGreaterThanOrEqual(BUDGET_MS - 1);
    expect(took).toBeLessThan(BUDGET_MS + SPACING_MS + 100);
  });

  it('times each request out at its own deadline, not at the first one’s', async () => {
    app = await build();
    const t0 = performance.now();
    const first = app.inject({ method: 'GET', url: '/never' }).then(() => performance.now() - t0);
    await sleep(BUDGET_MS / 2);
    const second = app.inject({ method: 'GET', url: '/never' }).then(() => performance.now() - t0);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBeLessThan(BUDGET_MS + SPACING_MS + 60);
    expect(b).toBeGreaterThanOrEqual(BUDGET_MS * 1.5 - 1);
  });

  it('never answers twice: requests answered before their deadline, many at once, stay answered once', async () => {
    app = await build();
    const answers = await Promise.all([
      ...Array.from({ length: 200 }, () => app.inject({ method: 'GET', url: '/after/1' })),
      ...Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: `/after/${BUDGET_MS / 2}` })),
      app.inject({ method: 'GET', url: '/never' }),
    ]);
    expect(answers.slice(0, 220).every((r) => r.statusCode === 200)).toBe(true);
    expect(answers[220]!.statusCode).toBe(503);
    await sleep(BUDGET_MS + 3 * SPACING_MS); // every deadline passed, the timer has swept them all
    expect(logged.filter((l) => /already sent/i.test(l.msg))).toEqual([]);
  });

  it('answers a handler that ends after its deadline once, with the timeout, and drops its late answer', async () => {
    app = await build();
    const res = await app.inject({ method: 'GET', url: `/after/${BUDGET_MS * 2}` });
    expect(res.statusCode).toBe(503);
    await sleep(BUDGET_MS * 1.5); // the handler returns now; Fastify logs and drops its late answer
    expect(logged.some((l) => /already sent/i.test(l.msg))).toBe(true);
  });
});
