/**
 * Fault tests start their own Postgres and Redis on spare ports, so stopping, killing and
 * restarting them never disturbs the shared services the other tests use. The binaries are the
 * machine's (Debian's postgresql-15 and redis-server). Postgres refuses to run as root, so when
 * we are root it runs as the `postgres` user.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { freePort } from '../support/shared.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  throw new Error('no Postgres binaries under /usr/lib/postgresql');
}

const asRoot = process.getuid?.() === 0;
function runAsPostgres(cmd: string, args: string[]): void {
  if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}
/** The same without blocking the event loop (an in-process service keeps answering meanwhile). */
async function runAsPostgresAsync(cmd: string, args: string[]): Promise<void> {
  if (asRoot) await promisify(execFile)('runuser', ['-u', 'postgres', '--', cmd, ...args]);
  else await promisify(execFile)(cmd, args);
}

export interface OwnPostgres {
  readonly url: string;
  readonly port: number;
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  /** stop/start without blocking the event loop: use these while an in-process service runs. */
  stopAsync(mode?: 'fast' | 'immediate'): Promise<void>;
  startAsync(): Promise<void>;
}

/** A throw-away Postgres cluster on a spare port (trust auth, synchronous_commit on). */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = pgBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'chaos-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  runAsPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const ctl = (args: string[]) => runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', ...args]);
  const ctlAsync = (args: string[]) => runAsPostgresAsync(join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', ...args]);
  const startArgs = ['-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on`, 'start'];
  const start = () => ctl(startArgs);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: (mode = 'fast') => ctl(['-m', mode, 'stop']),
    startAsync: () => ctlAsync(startArgs),
    stopAsync: (mode = 'fast') => ctlAsync(['-m', mode, 'stop']),
  };
}

export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A throw-away Redis on a spare port, keeping nothing on disk (as the shared one). */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('own Redis did not start');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
}
