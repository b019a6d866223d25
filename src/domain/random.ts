/**
 * Random bytes from the CSPRNG for our ids, tokens and nonces, drawn 4 KiB at a time and each
 * handed out once, as Node's own randomUUID does with its cache. On the machines this runs on, a
 * synchronous `randomBytes` call of the sizes we draw (8 to 32 bytes) costs 5 to 8 µs, and a pay
 * draws twice (its paymentId and its cashier token), an applyToken four times; from the pool a
 * draw costs about 0.3 µs (docs/performance.md, "The fourteenth round").
 *
 * A full pool is replaced, never refilled in place, so the bytes a caller was handed stay its own
 * and are never seen by another caller. A draw larger than the pool goes to the CSPRNG directly.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

export const RANDOM_POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let next = 0;

/** `size` bytes from the CSPRNG that no other call gets. */
export function secureRandomBytes(size: number): Buffer {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`random byte count ${size}`);
  if (size > RANDOM_POOL_BYTES) return randomBytes(size);
  if (next + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(RANDOM_POOL_BYTES));
    next = 0;
  }
  const drawn = pool.subarray(next, next + size);
  next += size;
  return drawn;
}
