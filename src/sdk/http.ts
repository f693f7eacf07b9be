import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { errorFromResponse, retryAfterSeconds } from './errors.js';

/**
 * A small JSON-over-fetch client for the gateway's own routes (/v1 account reads and the admin
 * API), which the `openai` package does not know. Failures are the same error classes the
 * OpenAI-compatible calls raise. Only GETs are retried: an admin write is not idempotent.
 */

export type QueryValue = string | number | boolean | Date | readonly string[] | undefined | null;
export type Query = Record<string, QueryValue>;

export interface HttpOptions {
  /** Prefix of every path, e.g. "http://localhost:8080/admin/api". */
  baseURL: string;
  /** Bearer token: a Tollgate API key or the admin token. */
  token: string;
  fetch?: typeof fetch;
  /** Per-attempt timeout in milliseconds (default 60 000). */
  timeout?: number;
  /** Retries of GETs on 408/429/5xx and connection errors (default 2). */
  maxRetries?: number;
  defaultHeaders?: Record<string, string>;
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Repeated keys for arrays (`tag=a:1&tag=b:2`), ISO strings for dates; null/undefined are left out. */
export function toQueryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) params.append(key, v instanceof Date ? v.toISOString() : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** "http://host:8080/", "http://host:8080/v1" → "http://host:8080": the gateway's root. */
export function gatewayRoot(baseURL: string): string {
  return baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** An environment variable, where there is an environment (Node; not a browser). */
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
}

/** The gateway's root from the given address, else TOLLGATE_BASE_URL, else http://localhost:8080. */
export function resolveBaseURL(given: string | undefined): string {
  return gatewayRoot(given ?? envVar('TOLLGATE_BASE_URL') ?? 'http://localhost:8080');
}

export class HttpClient {
  readonly #opts: HttpOptions;
  readonly #fetch: typeof fetch;

  constructor(opts: HttpOptions) {
    this.#opts = opts;
    this.#fetch = opts.fetch ?? globalThis.fetch;
  }

  async request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    const retries = method === 'GET' ? (this.#opts.maxRetries ?? 2) : 0;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.#send(method, path, opts);
      } catch (err) {
        if (attempt < retries) {
          await sleep(backoffMs(attempt, undefined));
          continue;
        }
        throw err;
      }
      if (response.ok) return (response.status === 204 ? undefined : await response.json()) as T;
      if (attempt < retries && RETRYABLE(response.status)) {
        await response.body?.cancel();
        await sleep(backoffMs(attempt, response.headers));
        continue;
      }
      throw await toError(response);
    }
  }

  /**
   * A GET whose answer is a file (a CSV export): resolves once the headers arrive, with the body as
   * a stream to read at the caller's pace. The timeout covers the wait for the headers only.
   */
  async download(path: string, query?: Query): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#send('GET', path, { query, accept: 'text/csv', timeoutHeadersOnly: true });
    if (!response.ok) throw await toError(response);
    return response.body ?? new ReadableStream({ start: (c) => c.close() });
  }

  async #send(method: string, path: string, opts: { query?: Query; body?: unknown; accept?: string; timeoutHeadersOnly?: boolean }): Promise<Response> {
    const timeout = this.#opts.timeout ?? 60_000;
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', ...this.#opts.defaultHeaders, authorization: `Bearer ${this.#opts.token}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    // A download's body streams for as long as it takes: its timeout covers the wait for the headers only.
    const headersOnly = opts.timeoutHeadersOnly ? new AbortController() : undefined;
    const timer = headersOnly && setTimeout(() => headersOnly.abort(new DOMException('timed out', 'TimeoutError')), timeout);
    try {
      return await this.#fetch(`${this.#opts.baseURL}${path}${toQueryString(opts.query)}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: headersOnly?.signal ?? AbortSignal.timeout(timeout),
      });
    } catch (err) {
      if ((err as Error)?.name === 'TimeoutError') throw new APIConnectionTimeoutError({ message: `Request timed out after ${timeout} ms.` });
      throw new APIConnectionError({ cause: err as Error });
    } finally {
      clearTimeout(timer);
    }
  }
}

async function toError(response: Response): Promise<APIError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return errorFromResponse(response.status, body, body === undefined ? text || undefined : undefined, response.headers);
}

/** Retry-After when the gateway sends it (capped at a minute), else 0.5 s × 2^attempt with jitter, capped at 8 s. */
function backoffMs(attempt: number, headers: Headers | undefined): number {
  const asked = retryAfterSeconds(headers);
  if (asked !== null) return Math.min(asked, 60) * 1000;
  return Math.min(500 * 2 ** attempt, 8_000) * (0.75 + Math.random() * 0.25);
}
