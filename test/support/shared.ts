import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** ../shared beside the checkout (CI lays a copy there too); SHARED_DIR overrides. */
export function sharedDir(): string {
  const dir = process.env.SHARED_DIR ?? join(repoRoot, '..', 'shared');
  if (!existsSync(join(dir, 'signing'))) throw new Error(`shared folder with signing vectors not found at ${dir}`);
  return dir;
}

export const sharedSigningDir = () => join(sharedDir(), 'signing');
export const repoDir = repoRoot;

/** A TCP port free on 127.0.0.1 right now (for a server the test starts and names in its config). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
