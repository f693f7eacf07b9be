import type { IncomingHttpHeaders } from 'node:http';
import type { Cancel } from '../util/cancel.js';

/** Response headers, one set of them; an answer's headers are a list of sets (a later set's value wins). */
export type HeaderSet = Readonly<Record<string, string>>;

/**
 * One object of `sets` (a later set's value wins), copied key by key: measured, a chain of object
 * spreads costs more than the rest of writing the answer's headers.
 */
export function mergeHeaders(sets: readonly HeaderSet[]): Record<string, string> {
  const into: Record<string, string> = {};
  for (const set of sets) for (const k in set) into[k] = set[k]!;
  return into;
}

/**
 * The pipeline's view of one client exchange. The HTTP layer implements it over Node's request
 * and response (http/exchange.ts), so the pipeline never touches sockets, status lines or the
 * request's raw bytes itself.
 */
export interface Exchange {
  /** The route's path, without the query (part of an Idempotency-Key's request hash). */
  readonly path: string;
  /** The query string without any API key in it (also part of the hash: it can change the answer's framing). */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** Aborted when the client goes away before the response is complete. */
  readonly abort: Cancel;
  /** The parsed JSON body, read within the size limit (400 / 413). */
  readBody(): Promise<unknown>;
  /** The API key the client presented, however its wire format carries it. */
  apiKey(): string | undefined;
  /** Usage tags the client attached to the request (400 when malformed). */
  tags(): Record<string, string> | undefined;
  /** A whole response at once: a JSON body, or a complete SSE stream (a replay). Headers as sets, a later set's value winning. */
  send(status: number, headers: readonly HeaderSet[], body: string, as: 'json' | 'sse'): void;
  /** Starts a streamed (SSE) response. */
  open(status: number, headers: readonly HeaderSet[]): void;
  /** Writes part of a stream with backpressure; throws ClientAbortedError once the client is gone. */
  write(text: string): Promise<void>;
  /** Ends a stream (nothing happens when the client is gone). */
  end(text: string): void;
  /** Whether the response has started (status and headers sent). */
  readonly started: boolean;
}
