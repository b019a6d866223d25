/** The in-process KeyValueStore for the embedded default: same semantics as the Redis one. */
import type { KeyValueStore } from '../domain/ports.ts';

interface Entry {
  value: string;
  expiresAt: number;
}

export class MemoryStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  private sweeps = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Bounded housekeeping: every 1,000 writes, drop expired entries. */
  private write(key: string, value: string, ttlMs: number): void {
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    if (++this.sweeps % 1000 === 0) {
      const t = this.now();
      for (const [k, e] of this.entries) if (e.expiresAt <= t) this.entries.delete(k);
    }
  }

  async get(key: string) {
    return this.live(key)?.value ?? null;
  }
  async set(key: string, value: string, ttlMs: number) {
    this.write(key, value, ttlMs);
  }
  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(key)) return false;
    this.write(key, value, ttlMs);
    return true;
  }
  async compareAndDelete(key: string, value: string) {
    if (this.live(key)?.value !== value) return false;
    this.entries.delete(key);
    return true;
  }
  async del(key: string) {
    this.entries.delete(key);
  }
  async incrementWindow(key: string, ttlMs: number, by = 1) {
    const e = this.live(key);
    if (!e) {
      this.write(key, String(by), ttlMs);
      return by;
    }
    e.value = String(Number(e.value) + by);
    return Number(e.value);
  }
  async ping() {}
  async close() {
    this.entries.clear();
  }
}
