/**
 * Group commit in the application: many callers' writes of one kind go to Postgres as one
 * statement, which is one transaction, one commit and one round trip, instead of one each.
 *
 * A call joins a queue. The queue is sent at the end of the current turn of the event loop
 * (`setImmediate`), as batches of at most `maxBatch`, while fewer than `maxInFlight` batches are
 * in flight. When every slot is busy the queue waits, and grows, until a batch comes back; then
 * everything that waited goes at once. So a lone call waits for nothing but the end of its turn,
 * and under load the batches grow by themselves (the "smart batching" of LMAX and TigerBeetle).
 *
 * One statement commits all of its rows or none. When a batch of several fails, nothing of it was
 * written, and each of its calls is sent again alone: a row that breaks a constraint, or a batch
 * that lost a deadlock, then fails only its own caller.
 *
 * Reads take the same path: lookups by key that arrive together share one statement, so one round
 * trip (and one wakeup of a Postgres backend) serves them all. A batched read starts no earlier
 * than its caller asked, so it sees everything committed before the call, as a read of its own did.
 */

export interface GroupCommitOptions {
  /** Batches in flight at once: the pool connections this kind of write may hold. */
  readonly maxInFlight: number;
  /** Calls in one batch at most. */
  readonly maxBatch: number;
  /** Told which statement sent a batch of how many calls (wiring feeds it to /metrics). */
  readonly onBatch?: ((statement: string, size: number) => void) | undefined;
}

/**
 * The setting measured in docs/performance.md ("The seventh round"), used by every batched
 * statement: four batches in flight leave the pool's other connections to the rest, and keep calls
 * moving while one batch waits on a lock.
 */
export const GROUP_COMMIT: GroupCommitOptions = { maxInFlight: 4, maxBatch: 64 };

/** Writes a batch and returns one result per input, in the inputs' order. */
export type BatchWriter<I, O> = (inputs: readonly I[]) => Promise<readonly O[]>;

interface Waiting<I, O> {
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * A function that takes one input and writes it in a batch with whatever else is waiting;
 * `statement` names the batches for onBatch.
 */
export function groupCommit<I, O>(statement: string, write: BatchWriter<I, O>, options: GroupCommitOptions): (input: I) => Promise<O> {
  const queue: Waiting<I, O>[] = [];
  let inFlight = 0;
  let scheduled = false;

  async function writeAlone(w: Waiting<I, O>): Promise<void> {
    try {
      const [output] = await write([w.input]);
      w.resolve(output as O);
    } catch (err) {
      w.reject(err);
    }
  }

  async function send(batch: Waiting<I, O>[]): Promise<void> {
    options.onBatch?.(statement, batch.length);
    try {
      const outputs = await write(batch.map((w) => w.input));
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} wrote ${outputs.length} results`);
      batch.forEach((w, i) => w.resolve(outputs[i] as O));
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      else await Promise.all(batch.map(writeAlone));
    }
  }

  function flush(): void {
    scheduled = false;
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      inFlight += 1;
      void send(batch).finally(() => {
        inFlight -= 1;
        if (queue.length > 0 && !scheduled) flush();
      });
    }
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      if (!scheduled && inFlight < options.maxInFlight) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
