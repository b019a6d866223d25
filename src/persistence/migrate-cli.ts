/** `npm run migrate`: applies the migrations to DATABASE_URL (or the embedded database in DATA_DIR). */
import { loadConfig } from '../config.ts';
import { createDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';

const config = loadConfig(process.env, { purpose: 'migrate' });
const handle = createDatabase({ url: config.databaseUrl, dataDir: `${config.dataDir}/pglite`, poolSize: 1 });
try {
  const applied = await migrateToLatest(handle.db);
  const where = config.databaseUrl ? 'DATABASE_URL' : `${config.dataDir}/pglite (embedded)`;
  console.log(applied.length ? `applied ${applied.join(', ')} to ${where}` : `${where} is up to date`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await handle.close();
}
