/**
 * An app user's bearer JWT as the wallet's login would mint it: HS256 with TEST_APP_JWT_SECRET,
 * `sub` = customerId, `exp` = now + expiresInSeconds. (Same shape as the `appJwt` another branch
 * adds to the harness; either can serve.)
 */
import { SignJWT } from 'jose';
import { TEST_APP_JWT_SECRET } from './harness.ts';

export async function appJwt(customerId: string, o: { expiresInSeconds?: number; now?: Date; secret?: string } = {}): Promise<string> {
  const iat = Math.floor((o.now ?? new Date()).getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(o.secret ?? TEST_APP_JWT_SECRET));
}
