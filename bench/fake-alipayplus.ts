/**
 * A tiny local stand-in for Alipay+ during the bench, signed like the real one (§1, the shared
 * `aplus` test key):
 *
 *   POST /aps/api/v1/codes/inquiryCodeRules   answers BENCH_RULES generated code rules (§6)
 *   POST /aps/api/v1/payments/notifyPayment   the local receiver of notifyPayment (§5): verifies
 *                                             the MPP signature, counts, answers S SUCCESS
 *   GET  /stats, POST /stats/reset            what it received, for the orchestrator
 *
 * Env: PORT, HOST, ALIPAYPLUS_PRIVATE_KEY and MPP_PUBLIC_KEY (PEM), BENCH_RULES, BENCH_RULES_VERSION.
 * Prints `{"ready":true}` on stdout once it listens.
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { isoWithOffset } from '../src/alipayplus/wire-time.ts';
import { loadPrivateKey, loadPublicKey, parseSignatureHeader, sign, signatureHeader, verify } from '../src/alipayplus/signature.ts';
import { generateCodeRules } from './lib/code-rules.ts';

const aplusKey = loadPrivateKey(process.env.ALIPAYPLUS_PRIVATE_KEY ?? '');
const mppKey = loadPublicKey(process.env.MPP_PUBLIC_KEY ?? '');
const rulesAnswer = JSON.stringify({
  result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
  codeRules: generateCodeRules(Number(process.env.BENCH_RULES ?? 1000)),
  version: process.env.BENCH_RULES_VERSION ?? 'bench-1',
});

const stats = {
  codeRuleCalls: 0,
  notifications: 0,
  notificationsBadSignature: 0,
  firstNotifyAt: 0,
  lastNotifyAt: 0,
  /** Calls to paths this fake does not serve (a service calling elsewhere than the contract says). */
  unexpected: {} as Record<string, number>,
};

async function requestSigned(req: FastifyRequest): Promise<boolean> {
  const parsed = parseSignatureHeader(req.headers.signature as string | undefined);
  if (!parsed) return false;
  const m = { method: 'POST', uri: req.url, clientId: String(req.headers['client-id'] ?? ''), time: String(req.headers['request-time'] ?? ''), body: req.body as Buffer };
  return verify(m, parsed.signature, mppKey);
}

/** §1: answers are signed with Response-Time, echoing the caller's Client-Id. */
async function signedAnswer(req: FastifyRequest, reply: FastifyReply, body: string): Promise<FastifyReply> {
  const clientId = String(req.headers['client-id'] ?? '');
  const time = isoWithOffset(new Date());
  const value = await sign({ method: 'POST', uri: req.url, clientId, time, body }, aplusKey);
  return reply
    .header('content-type', 'application/json; charset=UTF-8')
    .header('client-id', clientId)
    .header('response-time', time)
    .header('signature', signatureHeader('1', value))
    .send(body);
}

const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.post('/aps/api/v1/codes/inquiryCodeRules', async (req, reply) => {
  stats.codeRuleCalls++;
  return signedAnswer(req, reply, rulesAnswer);
});

const SUCCESS = JSON.stringify({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });
app.post('/aps/api/v1/payments/notifyPayment', async (req, reply) => {
  if (await requestSigned(req)) stats.notifications++;
  else stats.notificationsBadSignature++;
  stats.lastNotifyAt = Date.now();
  stats.firstNotifyAt ||= stats.lastNotifyAt;
  return signedAnswer(req, reply, SUCCESS);
});

app.setNotFoundHandler(async (req, reply) => {
  const path = req.url.split('?')[0]!;
  stats.unexpected[path] = (stats.unexpected[path] ?? 0) + 1;
  return reply.code(404).send({ result: { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F', resultMessage: 'not served by the bench fake' } });
});

app.get('/stats', async () => stats);
app.post('/stats/reset', async () => {
  Object.assign(stats, { notifications: 0, notificationsBadSignature: 0, firstNotifyAt: 0, lastNotifyAt: 0 });
  return stats;
});

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
