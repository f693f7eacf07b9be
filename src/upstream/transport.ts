import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { ProviderConfig } from '../config/catalogue.js';
import { ClientAbortedError, UpstreamError, UpstreamTimeoutError } from '../errors.js';
import type { UpstreamHttpRequest } from '../providers/types.js';
import { silenceTimeout, type SilenceTimeoutOption } from './silence-timeout.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** Whether the provider's total timeout ended the exchange (body reads use it to name the failure). */
  timedOut(): boolean;
}

interface Endpoint {
  pool: Pool;
  /** The pool behind the silence-timeout interceptor: what requests go through. */
  dispatcher: Dispatcher;
  basePath: string;
}

/**
 * undici's own headersTimeout/bodyTimeout stay on as a backstop, this much later than ours: its
 * timer wheel ticks every ~500 ms, so it fires up to a tick after its deadline; with this slack
 * ours always fires first, and the backstop only matters if ours somehow did not.
 */
const UNDICI_BACKSTOP_SLACK_MS = 1_000;

export interface TransportOptions {
  /** Keep-alive connections per upstream origin. */
  connections: number;
}

/**
 * undici keep-alive pools, one per upstream origin (and connect timeout). Timeouts:
 * - connect: the provider's connect_timeout_ms (pool-level, per origin);
 * - first byte: first_byte_timeout_ms from the moment the request is written; the same bound
 *   applies to any silence between body chunks, so a stalled stream is cut too. Enforced by our
 *   own timer (silence-timeout.ts), precise to the millisecond; undici's coarse ones are a backstop;
 * - total: aborts the exchange's own controller after total_timeout_ms (the request's controller,
 *   aborted when the client goes away, is linked to it, not replaced by it).
 */
export class Transport {
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(private readonly opts: TransportOptions) {}

  private endpoint(provider: ProviderConfig): Endpoint {
    const cacheKey = `${provider.baseUrl}|${provider.connectTimeoutMs}`;
    let ep = this.endpoints.get(cacheKey);
    if (!ep) {
      const url = new URL(provider.baseUrl);
      const pool = new Pool(url.origin, {
        connections: this.opts.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: provider.connectTimeoutMs },
      });
      ep = { pool, dispatcher: pool.compose(silenceTimeout), basePath: url.pathname.replace(/\/+$/, '') };
      this.endpoints.set(cacheKey, ep);
    }
    return ep;
  }

  /**
   * Sends one request. Resolves once the response headers arrive (any status); the caller reads
   * or discards the body. Rejects with UpstreamTimeoutError / UpstreamError when no response came.
   * `abort` is the request's controller (aborted when the client goes away): it ends this
   * exchange too. The total timeout aborts only this exchange's own controller, so the request
   * can still retry or fail over; its timer and the link to `abort` are undone when the body
   * closes or the exchange fails.
   */
  async send(provider: ProviderConfig, req: UpstreamHttpRequest, abort?: AbortController): Promise<UpstreamResponse> {
    const ep = this.endpoint(provider);
    const exchange = new AbortController();
    const caller = abort?.signal;
    const onCallerAbort = () => exchange.abort();
    if (caller?.aborted) exchange.abort();
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      exchange.abort();
    }, provider.totalTimeoutMs);
    const release = () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    };
    try {
      const backstopMs = provider.firstByteTimeoutMs + UNDICI_BACKSTOP_SLACK_MS;
      const options: Dispatcher.RequestOptions & SilenceTimeoutOption = {
        method: req.method,
        path: ep.basePath + req.path,
        headers: req.headers,
        body: req.body,
        signal: exchange.signal,
        silenceTimeoutMs: provider.firstByteTimeoutMs,
        headersTimeout: backstopMs,
        bodyTimeout: backstopMs,
      };
      const res = await ep.dispatcher.request(options);
      res.body.once('close', release);
      return { status: res.statusCode, headers: res.headers, body: res.body, timedOut: () => timedOut };
    } catch (err) {
      release();
      throw transportError(err, provider, timedOut, caller?.aborted ?? false);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.endpoints.values()].map((e) => e.pool.close().catch(() => undefined));
    this.endpoints.clear();
    await Promise.all(pools);
  }
}

/** Errors while reading a body (after headers) go through the same mapping. */
export function transportError(err: unknown, provider: ProviderConfig, totalTimedOut: boolean, callerAborted: boolean): Error {
  if (err instanceof UpstreamError) return err;
  const name = provider.name;
  if (callerAborted) return new ClientAbortedError();
  if (totalTimedOut) return new UpstreamTimeoutError(`${name} did not finish within ${provider.totalTimeoutMs} ms.`, 'total');
  if (err instanceof undiciErrors.ConnectTimeoutError) {
    return new UpstreamTimeoutError(`${name} did not accept a connection within ${provider.connectTimeoutMs} ms.`, 'connect');
  }
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamTimeoutError(`${name} sent nothing for ${provider.firstByteTimeoutMs} ms.`, 'first_byte');
  }
  const code = (err as { code?: string }).code ?? '';
  return new UpstreamError('upstream', `${name} could not be reached (${code || (err as Error).message}).`, {
    upstreamStatus: 0,
    code: 'upstream_connection_error',
    retryable: true,
    cause: err,
  });
}

