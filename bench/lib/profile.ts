/**
 * A V8 CPU profile (`node --cpu-prof`) summarised: self time per function over the timed windows
 * only (the profile's sample times and the load windows are both on the monotonic clock), so the
 * service's start-up does not count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoDir } from '../../test/support/shared.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * The newest main-thread .cpuprofile in `dir` written after `sinceMs`. Node names them
 * CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile; thread 0 is the main thread (tsx's loader
 * hooks run on a thread of their own and get a profile too).
 */
export function newestProfile(dir: string, sinceMs: number): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= sinceMs)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

const where = (url: string) => {
  const path = url.replace(/^file:\/\//, '');
  const rel = path.startsWith(repoDir) ? relative(repoDir, path) : path;
  return rel.replace(/^.*node_modules\//, '~/');
};

/** The top `n` functions by self time within `windows` (microseconds, monotonic), as lines. */
export function summariseProfile(file: string, windows: readonly (readonly [number, number])[], n = 15): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let t = p.startTime;
  let inWindows = 0;
  let idle = 0;
  const counted = (at: number) => windows.length === 0 || windows.some(([a, b]) => at >= a && at <= b);
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (!counted(t)) return;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    inWindows += dt;
    if (frame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const key = `${frame.functionName || '(anonymous)'} ${frame.url ? `${where(frame.url)}:${frame.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const busy = inWindows - idle;
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `profile ${relative(repoDir, file)}: ${(inWindows / 1e6).toFixed(1)} s sampled in the timed runs, main thread busy ${((busy / Math.max(1, inWindows)) * 100).toFixed(0)}%`,
    '  self ms   % busy  function',
    ...top.map(([k, us]) => `${(us / 1000).toFixed(0).padStart(9)}  ${((us / Math.max(1, busy)) * 100).toFixed(1).padStart(6)}%  ${k}`),
  ];
}
