/** §8 test helpers: the simulator as Alipay+ (test keys), and the app's initiate call. */
import type { FastifyInstance } from 'fastify';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.ts';
import { appJwt, TEST_CLIENT_ID, testKeys } from './harness.ts';

export const INITIATE_PATH = '/app/v1/payments/initiate';

/**
 * The outbound URL rules of a local run (issue 16): the simulator's notify URL in its orders is
 * http on 127.0.0.1, which the defaults refuse.
 */
export const LOCAL_OUTBOUND_ENV = { NOTIFY_URL_ALLOWED_HOSTS: '127.0.0.1', OUTBOUND_HTTP_ALLOWED: 'true', OUTBOUND_PRIVATE_ADDRESSES_ALLOWED: 'true' } as const;

/** The simulator playing Alipay+ with the shared test keys, as the MPP under test expects. */
export function startTestSimulator(): Promise<RunningSimulator> {
  return startSimulator({ keys: { privateKey: testKeys.aplusPrivate, mppPublicKey: testKeys.mppPublic, keyVersion: '1' }, clientId: TEST_CLIENT_ID });
}

/** The wallet app of `customerId` sends a scanned code to `POST /app/v1/payments/initiate`. */
export async function initiate(app: FastifyInstance, customerId: string, codeValue: string) {
  const res = await app.inject({
    method: 'POST',
    url: INITIATE_PATH,
    headers: { authorization: `Bearer ${await appJwt(customerId)}` },
    payload: { codeValue },
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

/** The userInitiatedPay requests the simulator received for `codeValue`. */
export function userInitiatedPayCalls(sim: RunningSimulator, codeValue?: string) {
  return sim.requests.list().filter((r) => r.endpoint === 'userInitiatedPay' && (codeValue === undefined || (r.body as { codeValue?: string }).codeValue === codeValue));
}
