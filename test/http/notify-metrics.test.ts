import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, testApp } from '../support/harness.ts';

let t: TestApp;

beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t.close();
});

it('exposes the notify outbox backlog in /metrics', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.body).toMatch(/^mpp_notify_outbox_pending 0$/m);
  expect(res.body).toMatch(/^mpp_notify_outbox_oldest_pending_seconds 0$/m);
  expect(res.body).toMatch(/^mpp_notify_outbox_failed 0$/m);
  expect(res.body).toContain('# TYPE mpp_notify_attempts_total counter');
});
