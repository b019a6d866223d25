/**
 * What the orchestrator (bench/run.ts) asks the load process (bench/load.ts) to do, and what it
 * answers. Plain JSON both ways: the job goes in a file named on the command line, the answer comes
 * back as JSON lines on stdout (`{"event":"start"}` when the timed run begins, then the result).
 */

/** A field of the body template that changes per request: `${prefix}${i}` or `values[i]`. */
export type Vary = { readonly path: readonly string[]; readonly prefix: string } | { readonly path: readonly string[]; readonly values: readonly string[] };

export interface BodySpec {
  /** The JSON body; fields named by `vary` are replaced per request. */
  readonly template: unknown;
  readonly vary?: readonly Vary[];
}

/** Sign each request as Alipay+ does (§1) with the shared `aplus` test key. */
export interface SigningSpec {
  readonly clientId: string;
  readonly keyVersion: string;
  readonly privateKeyPath: string;
  /** Verify the answers' signatures in the validation pass with this public key (PEM file). */
  readonly responseKeyPath?: string;
}

export interface LoadJob {
  readonly name: string;
  /** Base URLs. More than one: one autocannon per URL in parallel, each walking the same bodies. */
  readonly targets: readonly string[];
  /** Total connections, split across the targets. */
  readonly connections: number;
  readonly durationSeconds: number;
  /** An untimed run first, at the same connections, so the service's JIT is warm. */
  readonly warmupSeconds?: number;
  readonly method: 'POST' | 'GET';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: BodySpec;
  readonly signing?: SigningSpec;
  /** Signed bodies to prepare before the timed run (capped by the number of `values`). */
  readonly presign?: number;
  /** Keep signing fresh bodies in the background when the prepared ones run low (soak). */
  readonly refill?: boolean;
  /** Requests in the validation pass before the timed run; their answers are summarised. */
  readonly validate: number;
}

export interface ValidationSummary {
  /** HTTP status and result, e.g. `200 U PAYMENT_IN_PROCESS` -> count. */
  readonly codes: Readonly<Record<string, number>>;
  readonly sent: number;
  /** Answers whose signature verified (when a response key was given). */
  readonly signatureValid?: number;
  /** The first answer's body, shortened, for the report when something looks wrong. */
  readonly firstBody?: string;
}

export interface TargetResult {
  readonly target: string;
  readonly connections: number;
  readonly requests: number;
  readonly durationSeconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

export interface PoolSummary {
  readonly signed: boolean;
  readonly prepared: number;
  readonly prepareSeconds: number;
  /** Requests sent with an already used body because the prepared ones ran out. */
  readonly replays: number;
  readonly refilled: number;
}

export type LoadOutcome =
  | { readonly event: 'result'; readonly status: 'route-missing'; readonly validation: ValidationSummary }
  | {
      readonly event: 'result';
      readonly status: 'ok';
      readonly validation: ValidationSummary;
      readonly targets: readonly TargetResult[];
      readonly pool: PoolSummary;
      /** Start and end of the timed run on the monotonic clock, in microseconds (matches --cpu-prof). */
      readonly windowMicros: readonly [number, number];
      /** CPU the load process itself used over the timed run, in percent of one core. */
      readonly loadCpuPercent: number;
    };

export type LoadEvent = { readonly event: 'start' } | LoadOutcome;
