/** The orchestrator's side of bench/load.ts: write the job, run the load process, read its answer. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadEvent, LoadJob, LoadOutcome } from './load-job.ts';
import { startChild } from './processes.ts';

export interface LoadHooks {
  /** Called when the timed run begins (after pre-signing, validation and warm-up). */
  onStart?: () => void;
  /** Called when the timed run has ended (its result arrived). */
  onEnd?: () => void;
}

let seq = 0;

export async function runLoad(job: LoadJob, logDir: string, hooks: LoadHooks = {}): Promise<LoadOutcome> {
  const name = `load-${++seq}-${job.name.replace(/[^a-z0-9]+/gi, '-')}`;
  const file = join(logDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(job));
  const child = startChild({ name, script: 'bench/load.ts', args: [file], env: {}, logDir });
  let outcome: LoadOutcome | undefined;
  child.onLine((line) => {
    if (!line.startsWith('{')) return;
    const e = JSON.parse(line) as LoadEvent;
    if (e.event === 'start') {
      hooks.onStart?.();
    } else {
      outcome = e;
      hooks.onEnd?.();
    }
  });
  await new Promise<void>((resolve) => child.process.once('close', () => resolve()));
  if (!outcome) throw new Error(`load process for ${job.name} failed:\n${child.tail(30)}`);
  return outcome;
}
