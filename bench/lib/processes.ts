/**
 * Child processes of the bench (the service, the floor server, the fake Alipay+, the load
 * generator): spawned with node from the repository root (a .ts script through tsx, the service's
 * build as plain JavaScript), output kept in a log file, stopped by their own pid only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoDir } from '../../test/support/shared.ts';

export interface ChildOptions {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
  readonly nodeArgs?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logDir: string;
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  /** Lines the child printed on stdout, as they come. */
  onLine(listener: (line: string) => void): void;
  exited(): boolean;
  /** The last lines of its log, for an error message. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();

/**
 * UV_THREADPOOL_SIZE, when the bench is run with it, reaches every child: asynchronous
 * crypto.sign runs on that pool, and its size against the cores is worth measuring.
 */
function threadPool(): Record<string, string> {
  const size = process.env.UV_THREADPOOL_SIZE;
  return size ? { UV_THREADPOOL_SIZE: size } : {};
}

/** Every child still running, for the orchestrator's cleanup on failure or ctrl-c. */
export function runningChildren(): readonly Child[] {
  return [...running];
}

export function startChild(o: ChildOptions): Child {
  const logFile = join(o.logDir, `${o.name}.log`);
  const log = createWriteStream(logFile);
  const loader = o.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...(o.nodeArgs ?? []), ...loader, o.script, ...(o.args ?? [])], {
    cwd: repoDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...threadPool(), ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`${o.name} did not start`);
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    log.write(d);
    const lines = (partial + d.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const l of listeners) l(line);
  });
  proc.stderr!.on('data', (d: Buffer) => log.write(d));
  let done = false;
  const exit = new Promise<void>((resolve) =>
    proc.once('close', () => {
      done = true;
      running.delete(child);
      log.end();
      resolve();
    }),
  );
  const child: Child = {
    name: o.name,
    process: proc,
    pid: proc.pid,
    logFile,
    onLine: (l) => listeners.push(l),
    exited: () => done,
    tail(lines = 20) {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    async stop(graceMs = 10_000) {
      if (done) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  running.add(child);
  return child;
}

/** Waits for the first stdout line that `test` accepts; fails when the child exits first. */
export function waitForLine<T>(child: Child, test: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.tail()}`)), timeoutMs);
    child.onLine((line) => {
      const value = test(line);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
      }
    });
    child.process.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${child.name} exited (${code}) before it was ready:\n${child.tail()}`));
    });
  });
}

/** Polls `url` until it answers 200; fails when the child exits first. */
export async function waitForHttp(child: Child, url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (child.exited()) throw new Error(`${child.name} exited before it was ready:\n${child.tail()}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms (last: ${last}):\n${child.tail()}`);
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released for the child to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A JSON line parser for `waitForLine`. */
export function jsonLine<T>(predicate: (v: T) => boolean): (line: string) => T | undefined {
  return (line) => {
    if (!line.startsWith('{')) return undefined;
    try {
      const v = JSON.parse(line) as T;
      return predicate(v) ? v : undefined;
    } catch {
      return undefined;
    }
  };
}
