import { Pool, errors as undiciErrors } from 'undici';
import type { ProviderConfig } from '../config/catalogue.js';
import { ClientAbortedError, UpstreamError, UpstreamTimeoutError } from '../errors.js';
import type { UpstreamHttpRequest } from '../providers/types.js';
import { Cancel } from '../util/cancel.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The body, piece by piece (text). The provider may stay silent at most first_byte_timeout_ms
   * while the gateway waits for the next piece; the time the gateway spends between pieces (a
   * slow client) is not counted.
   */
  pieces(): AsyncGenerator<string>;
  /** The whole body as text, under the same silence limit. */
  text(): Promise<string>;
  /** Whether the provider's total timeout ended the exchange (body reads use it to name the failure). */
  timedOut(): boolean;
  /** Discards the rest of the body. */
  destroy(): void;
}

interface Endpoint {
  pool: Pool;
  basePath: string;
}

/**
 * undici's own headersTimeout/bodyTimeout stay on as a backstop, this much later than ours: its
 * timer wheel ticks every ~500 ms, so it fires up to a tick after its deadline; with this slack
 * ours always fires first, and the backstop only matters if ours somehow did not.
 */
export const UNDICI_BACKSTOP_SLACK_MS = 1_000;

export interface TransportOptions {
  /** Keep-alive connections per upstream origin. */
  connections: number;
}

/**
 * undici keep-alive pools, one per upstream origin (and connect timeout). Timeouts:
 * - connect: the provider's connect_timeout_ms (pool-level, per origin);
 * - first byte: first_byte_timeout_ms from the moment the request is written; the same bound
 *   applies to any silence between body pieces while the gateway waits for one, so a stalled
 *   stream is cut too. Enforced by our own timer (Silence below), precise to the millisecond;
 *   undici's coarse ones are a backstop;
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
      ep = { pool, basePath: url.pathname.replace(/\/+$/, '') };
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
  async send(provider: ProviderConfig, req: UpstreamHttpRequest, abort?: Cancel): Promise<UpstreamResponse> {
    const ep = this.endpoint(provider);
    const exchange = new Cancel();
    const caller = abort;
    const unlink = caller?.onAbort(() => exchange.abort());
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      exchange.abort();
    }, provider.totalTimeoutMs);
    const silence = new Silence(provider.firstByteTimeoutMs, exchange);
    const release = () => {
      clearTimeout(timer);
      silence.stop();
      unlink?.();
    };
    try {
      const backstopMs = provider.firstByteTimeoutMs + UNDICI_BACKSTOP_SLACK_MS;
      silence.waiting();
      const res = await ep.pool.request({
        method: req.method,
        path: ep.basePath + req.path,
        headers: req.headers,
        body: req.body,
        signal: exchange,
        headersTimeout: backstopMs,
        bodyTimeout: backstopMs,
      });
      silence.arrived();
      res.body.once('close', release);
      const body = res.body;
      const fail = (err: unknown) => (silence.expired ? new undiciErrors.BodyTimeoutError() : err);
      async function* pieces(): AsyncGenerator<string> {
        body.setEncoding('utf8');
        const it = (body as AsyncIterable<string>)[Symbol.asyncIterator]();
        for (;;) {
          silence.waiting();
          let next: IteratorResult<string>;
          try {
            next = await it.next();
          } catch (err) {
            throw fail(err);
          } finally {
            silence.arrived();
          }
          if (next.done) return;
          yield next.value;
        }
      }
      return {
        status: res.statusCode,
        headers: res.headers,
        pieces,
        // The whole body by its events: an async iterator costs several allocations per piece.
        text: () =>
          new Promise<string>((resolve, reject) => {
            let out = '';
            body.setEncoding('utf8');
            silence.waiting();
            body.on('data', (piece: string) => {
              out += piece;
              silence.waiting();
            });
            body.once('end', () => {
              silence.arrived();
              resolve(out);
            });
            body.once('error', (err) => {
              silence.arrived();
              reject(fail(err));
            });
          }),
        timedOut: () => timedOut,
        destroy: () => void body.destroy(),
      };
    } catch (err) {
      release();
      throw transportError(silence.expired ? new undiciErrors.HeadersTimeoutError() : err, provider, timedOut, caller?.aborted ?? false);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.endpoints.values()].map((e) => e.pool.close().catch(() => undefined));
    this.endpoints.clear();
    await Promise.all(pools);
  }
}

/**
 * The provider's silence, timed only while the gateway waits on it (for the headers, then for
 * each body piece): one timer per exchange, re-armed with refresh(), so it costs nothing per piece.
 */
class Silence {
  private readonly timer: NodeJS.Timeout;
  private armed = false;
  expired = false;

  constructor(
    ms: number,
    private readonly exchange: Cancel,
  ) {
    this.timer = setTimeout(this.expire, ms);
    this.timer.unref();
  }

  waiting(): void {
    this.armed = true;
    this.timer.refresh();
  }

  arrived(): void {
    this.armed = false;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private readonly expire = (): void => {
    // Fired while the gateway itself was busy (the timer is not cleared between pieces): not silence.
    if (!this.armed) return;
    this.expired = true;
    this.exchange.abort();
  };
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

