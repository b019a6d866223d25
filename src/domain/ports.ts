/**
 * The ports shared by every use case. Each area keeps the repositories it needs beside its use
 * cases (`domain/<area>/ports.ts`); they are re-exported at the bottom of this file.
 */

/** Server-owned time, injected: jobs and use cases take `now` from here, tests use a fake. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What use cases and jobs log through (pino's logger fits): one line per state change. */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Runs work in one database transaction with repositories bound to it. The use case opens it;
 * everything done through `repos` commits or rolls back together.
 */
export interface UnitOfWork<Repos> {
  run<T>(work: (repos: Repos) => Promise<T>): Promise<T>;
}

/**
 * How busy the database is with this service's live traffic: how many of the service's other
 * sessions (any instance's) are running a statement right now. Background jobs ask it to give way.
 */
export interface DatabaseLoad {
  othersActive(): Promise<number>;
}

/**
 * What Redis (or the in-process store) holds: only what can be lost and rebuilt. Caches, rate
 * limits and short locks; never a payment, token or notification.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** SET NX PX: true when this caller created the key. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes the key only while it still holds `value` (a lock's owner releasing it). */
  compareAndDelete(key: string, value: string): Promise<boolean>;
  del(key: string): Promise<void>;
  /**
   * Fixed-window counter: adds `by` (default 1) and returns the new count, starting a window of
   * ttlMs on the first hit. A caller's own counts are the `by` numbers ending at the answer.
   */
  incrementWindow(key: string, ttlMs: number, by?: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
