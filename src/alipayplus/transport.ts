/**
 * How a signed request reaches the other side: over HTTP (fetchTransport) or, for the simulator
 * and tests, in-process (the simulator's injectTransport). The bytes are the same either way.
 */

export interface TransportRequest {
  readonly method: string;
  /** An absolute URL, or a path and query joined to the transport's base URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface TransportResponse {
  readonly status: number;
  /** Lowercase names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** An answer bigger than the transport's cap (the code-rule set is the largest we expect). */
export class AnswerTooLarge extends Error {}

export function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError'));
}

export interface FetchTransportOptions {
  /** Joined in front of a request's path; a request with an absolute URL ignores it. */
  readonly baseUrl?: string | undefined;
  /** Per request, covering connect, send and reading the answer. */
  readonly timeoutMs: number;
  /** Bigger answers throw AnswerTooLarge. Default: no cap. */
  readonly maxAnswerBytes?: number | undefined;
  readonly fetch?: typeof fetch | undefined;
}

/** Reads at most `max` bytes of the body; the timeout signal keeps running while it reads. */
async function readBounded(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > max) throw new AnswerTooLarge(`answer of ${declared} bytes`);
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > max) throw new AnswerTooLarge(`answer above ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Node's fetch, redirects not followed, with a timeout and an optional cap on the answer. */
export function fetchTransport(o: FetchTransportOptions): Transport {
  const base = o.baseUrl?.replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const max = o.maxAnswerBytes ?? Number.POSITIVE_INFINITY;
  return async (req) => {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(req.url);
    const res = await doFetch(absolute || base === undefined ? req.url : `${base}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { status: res.status, headers, body: await readBounded(res, max) };
  };
}
