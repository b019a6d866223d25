import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // On the real Postgres and Redis most of a test's time is waiting on them: one worker more than
    // the cores keeps both busy (measured on the 2-core vm: 357 s with 2 workers, 238 s with 3).
    // The embedded engines are CPU-bound in the workers themselves: the default (one per core).
    ...(process.env.DATABASE_URL ? { maxWorkers: availableParallelism() + 1 } : {}),
  },
});
