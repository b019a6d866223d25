/**
 * applyToken (§3) with fresh auth codes: before the timed run the app side mints one auth code per
 * request (POST /app/v1/authCodes with an app JWT); each signed applyToken redeems one and gets an
 * access and a refresh token. A code used twice would answer F USED_CODE, so codes are not cycled.
 */
import { appJwt, appPost, mapConcurrently, routeExists } from '../lib/clients.ts';
import { type BenchContext, loadRow, notAvailable, type Row, type Scenario } from '../lib/context.ts';
import { APPLY_TOKEN_PATH, presignCount, signedAsAlipayPlus, VALIDATE, warmupSeconds } from '../lib/payloads.ts';
import { BENCH_ACQUIRER_ID, BENCH_PSP_ID } from '../lib/service.ts';

const AUTH_CODES_PATH = '/app/v1/authCodes';
const MINT_CAP = Number(process.env.BENCH_AUTH_CODE_CAP ?? 40_000);

export const applyToken: Scenario = {
  name: 'apply-token',
  async run(ctx: BenchContext): Promise<Row[]> {
    const label = 'applyToken (fresh auth code each)';
    const jwt = await appJwt(ctx.customerId);
    if (!(await routeExists(ctx.service.url, APPLY_TOKEN_PATH))) return [notAvailable('apply-token', label, 'route missing')];
    if (!(await routeExists(ctx.service.url, AUTH_CODES_PATH, { authorization: `Bearer ${jwt}` }))) {
      return [notAvailable('apply-token', label, `route missing (${AUTH_CODES_PATH})`)];
    }
    const seconds = ctx.options.durationSeconds;
    const count = ctx.options.smoke ? 500 : Math.min(MINT_CAP, presignCount(ctx, seconds, warmupSeconds(ctx), 0.8));
    const t0 = performance.now();
    const minted = await mapConcurrently(Array.from({ length: count }), 16, async () => {
      const a = await appPost(ctx.service.url, AUTH_CODES_PATH, jwt, { scopes: ['BASE_USER_INFO'] });
      return typeof a.body.authCode === 'string' ? a.body.authCode : `!${a.status} ${a.text.slice(0, 200)}`;
    });
    const codes = minted.filter((c) => !c.startsWith('!'));
    if (codes.length === 0) return [notAvailable('apply-token', label, `no auth code minted: ${minted[0]}`)];
    const mintNote = `${codes.length} auth codes minted in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    const m = await ctx.measure(
      {
        name: 'apply-token',
        targets: [ctx.service.url],
        connections: ctx.options.connections,
        durationSeconds: seconds,
        warmupSeconds: warmupSeconds(ctx),
        method: 'POST',
        path: APPLY_TOKEN_PATH,
        body: {
          template: { pspId: BENCH_PSP_ID, acquirerId: BENCH_ACQUIRER_ID, grantType: 'AUTHORIZATION_CODE', authCode: 'x' },
          vary: [{ path: ['authCode'], values: codes }],
        },
        signing: signedAsAlipayPlus,
        presign: codes.length,
        validate: VALIDATE,
      },
      [ctx.service.sampler],
    );
    return [loadRow('apply-token', label, m, { expect: ['200 S SUCCESS'], notes: [mintNote] })];
  },
};
