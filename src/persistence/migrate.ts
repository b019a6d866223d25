/**
 * Applies the Kysely migrations in ../../migrations. Migrations are plain files frozen in time; we
 * import them by name so the same set runs under tsx, vitest and both engines.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import { quoteIdent } from './database.ts';

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

const MIGRATION_FILE = /^(\d{4}_[a-z0-9_]+)\.(?:ts|js)$/;
/**
 * What Kysely's look for its migration table fails with when another session drops a schema while
 * it reads the catalog: invalid_schema_name ("schema ... does not exist"), undefined_table, and
 * undefined_column ('column "token_hash" of relation "access_tokens" does not exist', seen when a
 * test file dropped its schema during another's migration).
 */
const CATALOG_CHANGED_MEANWHILE = new Set(['3F000', '42P01', '42703']);

class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    // .ts from the sources (tsx, vitest), .js from the build (dist/migrations); the name is the same.
    const files = (await readdir(this.folder)).filter((f) => MIGRATION_FILE.test(f)).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      out[file.replace(MIGRATION_FILE, '$1')] = (await import(pathToFileURL(join(this.folder, file)).href)) as Migration;
    }
    return out;
  }
}

/** Migrates to the latest version; throws with the failing migration's name. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and typed loosely
export async function migrateToLatest(db: Kysely<any>, opts: { schema?: string } = {}): Promise<string[]> {
  if (opts.schema) await sql`create schema if not exists ${sql.raw(quoteIdent(opts.schema))}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: new FolderMigrationProvider(MIGRATIONS_DIR),
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely looks for its migration table by introspecting every schema of the database, resolving
  // each by name (has_schema_privilege, pg_get_serial_sequence): a schema that another session
  // drops meanwhile fails that lookup before any migration ran. Look again.
  const catalogChanged = (e: unknown) => CATALOG_CHANGED_MEANWHILE.has(String((e as { code?: unknown } | null)?.code));
  for (let attempt = 1; attempt < 5 && error && results === undefined && catalogChanged(error); attempt++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${why}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
