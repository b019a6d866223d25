/** The app's identify call (§6), as the wallet app makes it. */
import { expect } from 'vitest';
import type { TestApp } from './harness.ts';

/** POST /app/v1/codes/identify with the app's bearer token; expects 200 and returns the answer. */
export async function identifyCode(t: TestApp, bearer: string, codeValue: string): Promise<Record<string, unknown>> {
  const res = await t.app.inject({ method: 'POST', url: '/app/v1/codes/identify', headers: { authorization: bearer }, payload: { codeValue } });
  expect(res.statusCode).toBe(200);
  return res.json() as Record<string, unknown>;
}
