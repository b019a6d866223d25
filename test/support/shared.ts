import { existsSync } from 'node:fs';
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
