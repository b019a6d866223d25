/**
 * A background job: `runOnce(now)` does one bounded batch and says how much it did; the loop calls
 * it again at once while there is work and sleeps only when a run found nothing. Any number of
 * instances may run the same job: the batch itself must be safe (SKIP LOCKED). Errors are logged
 * and retried after the idle interval; stop() waits for the current batch.
 */
import type { Clock, Logger } from '../domain/ports.ts';

export interface Job {
  readonly name: string;
  /** Does one bounded batch at `now`; returns how many items it handled. */
  runOnce(now: Date): Promise<number>;
}

export interface RunningJob {
  stop(): Promise<void>;
}

export function startJob(job: Job, o: { clock: Clock; idleMs: number; log: Logger }): RunningJob {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
      timer.unref?.();
    });

  const done = (async () => {
    while (!stopped) {
      let handled = 0;
      try {
        handled = await job.runOnce(o.clock.now());
        if (handled > 0) o.log.info({ job: job.name, handled }, 'job batch done');
      } catch (err) {
        o.log.error({ job: job.name, err }, 'job batch failed');
      }
      if (handled === 0 && !stopped) await sleep(o.idleMs);
    }
  })();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}
