/**
 * The floors the service is measured against, in a small process of its own:
 *
 *   POST /floor         F: one `INSERT ... ON CONFLICT DO NOTHING` of the body's key (pg pool of 10,
 *                       synchronous_commit on), answered with a `{result}` like the service's.
 *   POST /bare-floor    H: the body parsed and a `{result}` answered, nothing else: no database, no
 *                       signature (the ceiling of a route that only computes, such as identify).
 *   POST /signed-floor  S: the same, plus what every Alipay+ route must do (§1): verify the
 *                       request's RSA-2048 signature and sign the answer (asynchronous crypto.sign),
 *                       with the service's own signature module.
 *
 * Env: DATABASE_URL, PORT, HOST, MPP_PRIVATE_KEY and ALIPAYPLUS_PUBLIC_KEY (PEM), ALIPAYPLUS_CLIENT_ID.
 * Prints one JSON line `{"ready":true,"synchronousCommit":"on"}` on stdout once it listens.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { isoWithOffset } from '../src/alipayplus/wire-time.ts';
import { loadPrivateKey, loadPublicKey, parseSignatureHeader, sign, signatureHeader, verify } from '../src/alipayplus/signature.ts';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 10, application_name: 'bench-floor' });
const mppKey = loadPrivateKey(env('MPP_PRIVATE_KEY'));
const aplusKey = loadPublicKey(env('ALIPAYPLUS_PUBLIC_KEY'));
const clientId = env('ALIPAYPLUS_CLIENT_ID');

const SUCCESS = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'Success' };
const failure = (resultCode: string) => ({ resultCode, resultStatus: 'F', resultMessage: resultCode });

async function insert(key: unknown): Promise<void> {
  if (typeof key !== 'string' || key.length === 0 || key.length > 128) throw new Error('key');
  await pool.query('insert into bench_floor (key) values ($1) on conflict do nothing', [key]);
}

const app = Fastify({ logger: false });

app.post('/floor', async (req) => {
  await insert((req.body as { key?: unknown } | null)?.key);
  return { result: SUCCESS };
});

app.post('/bare-floor', async (req) => {
  const key = (req.body as { key?: unknown } | null)?.key;
  return { result: typeof key === 'string' && key.length > 0 ? SUCCESS : failure('PARAM_ILLEGAL') };
});

await app.register(async (signed) => {
  signed.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  signed.removeContentTypeParser('application/json');
  signed.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  signed.post('/signed-floor', async (req, reply) => {
    const raw = req.body as Buffer;
    const parsed = parseSignatureHeader(req.headers.signature as string | undefined);
    const requestTime = String(req.headers['request-time'] ?? '');
    const ok =
      parsed !== undefined &&
      (await verify({ method: 'POST', uri: req.url, clientId: String(req.headers['client-id'] ?? ''), time: requestTime, body: raw }, parsed.signature, aplusKey));
    let result: object = failure('INVALID_SIGNATURE');
    if (ok) {
      await insert((JSON.parse(raw.toString('utf8')) as { key?: unknown }).key);
      result = SUCCESS;
    }
    const body = JSON.stringify({ result });
    const responseTime = isoWithOffset(new Date());
    const value = await sign({ method: 'POST', uri: req.url, clientId, time: responseTime, body }, mppKey);
    return reply
      .header('content-type', 'application/json; charset=UTF-8')
      .header('client-id', clientId)
      .header('response-time', responseTime)
      .header('signature', signatureHeader('1', value))
      .send(body);
  });
});

const { rows } = await pool.query<{ synchronous_commit: string }>('show synchronous_commit');
await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ ready: true, synchronousCommit: rows[0]?.synchronous_commit })}\n`);

const stop = () =>
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
