import { errors as undiciErrors, type Dispatcher } from 'undici';

/** The per-request option the interceptor reads: how long the upstream may stay silent. */
export interface SilenceTimeoutOption {
  /** Milliseconds without a byte from the upstream: before the headers, then between body chunks. */
  silenceTimeoutMs?: number;
}

/**
 * Enforces the first-byte and body-idle timeouts on the exact millisecond. undici's own
 * headersTimeout/bodyTimeout run on a timer wheel that ticks every ~500 ms, so a 500 ms timeout
 * fired anywhere up to ~1 s; this one arms a native timer when the request is written to the
 * socket, refreshes it on the headers and on every chunk, and clears it however the exchange
 * ends. On expiry it aborts the exchange with undici's own timeout errors, so callers map them
 * as before and the socket is destroyed (the upstream sees the connection close).
 */
export const silenceTimeout: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const ms = (opts as SilenceTimeoutOption).silenceTimeoutMs;
  return dispatch(opts, ms && ms > 0 ? new SilenceTimeoutHandler(ms, handler) : handler);
};

class SilenceTimeoutHandler implements Dispatcher.DispatchHandler {
  private timer: NodeJS.Timeout | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private awaiting: 'headers' | 'body' = 'headers';

  constructor(
    private readonly ms: number,
    private readonly inner: Dispatcher.DispatchHandler,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    // undici may start a request again on a new socket (a pipelined head failed): re-arm.
    this.stop();
    this.controller = controller;
    this.timer = setTimeout(this.expire, this.ms);
    this.timer.unref();
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>): void {
    this.stop();
    this.inner.onRequestUpgrade?.(...args);
  }

  onResponseStart(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>): void {
    this.awaiting = 'body';
    this.timer?.refresh();
    this.inner.onResponseStart?.(...args);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.timer?.refresh();
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1]): void {
    this.stop();
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.stop();
    this.inner.onResponseError?.(controller, err);
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly expire = (): void => {
    const c = this.controller;
    if (!c || c.aborted) return;
    // A paused response is our reader being slow, not the upstream being silent (as undici).
    if (c.paused) {
      this.timer?.refresh();
      return;
    }
    this.timer = undefined;
    c.abort(this.awaiting === 'headers' ? new undiciErrors.HeadersTimeoutError() : new undiciErrors.BodyTimeoutError());
  };
}
