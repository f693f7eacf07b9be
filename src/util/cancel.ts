import { EventEmitter } from 'node:events';

/**
 * A one-shot cancellation signal: a request's (its client went away) and each upstream
 * exchange's (its timeouts). An AbortController costs several microseconds of CPU to make and
 * to listen on (Node 20: an EventTarget with its own bookkeeping for the garbage collector),
 * and the request path makes one per request and one per upstream attempt; this costs about a
 * hundred nanoseconds. undici takes it as a request's `signal` (an EventEmitter with `aborted`
 * and `reason`).
 */
export class Cancel extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }

  /** Calls `listener` once when cancelled (at once if it already is); returns how to stop listening. */
  onAbort(listener: () => void): () => void {
    if (this.aborted) {
      listener();
      return () => undefined;
    }
    this.once('abort', listener);
    return () => void this.removeListener('abort', listener);
  }
}
