import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamChunk, Usage } from '../canonical/index.js';
import type { GatewayError } from '../errors.js';

/** The identity every chunk of one streamed answer carries. */
export interface StreamIdentity {
  id: string;
  created: number;
  model: string;
}

/** What the gateway adds to a streamed answer's last event: what it cost and what is left. */
export interface GatewayReport {
  cost: string;
  /** Null when it is not known (a stored replay of an earlier answer). */
  balance: string | null;
  estimated: boolean;
  cache?: 'HIT';
}

/** An error as one wire format answers it. */
export interface WireError {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/**
 * How one ingress speaks: it reads its wire format into the canonical request and writes
 * canonical answers, chunks and errors back out. The pipeline decides what happens; the dialect
 * only renders (one per ingress, in the HTTP layer).
 */
export interface ChatDialect {
  /** The request log's name for the endpoint ("chat.completions"). */
  readonly endpoint: string;
  /** The content type of a streamed answer, when it is not SSE (Gemini's JSON-array streams). */
  readonly streamContentType?: string;
  /**
   * Wire body → canonical request (400 on anything malformed); `path` for formats that name the
   * model there, `headers` for formats whose headers shape the request (anthropic-beta).
   */
  parse(body: unknown, path: string, headers: IncomingHttpHeaders): ChatRequest;
  identity(requestId: string, startedAt: number, model: string): StreamIdentity;
  /** A complete answer (`req` for formats that echo the request's settings in their answer). */
  response(resp: ChatResponse, usage: Usage, ident: StreamIdentity, req: ChatRequest): string;
  /** A writer for one streamed answer (stateful: some wire formats frame content blocks). */
  openStream(req: ChatRequest, ident: StreamIdentity): StreamEncoder;
  /** A stored answer sent again as a whole stream (cache hits, Idempotency-Key replays). */
  replay(req: ChatRequest, resp: ChatResponse, usage: Usage, ident: StreamIdentity, report: GatewayReport): string;
  error(err: GatewayError): WireError;
}

/** Writes one streamed answer in a wire format, chunk by chunk. */
export interface StreamEncoder {
  /** One canonical chunk as SSE text ('' for chunks this wire format does not send on their own). */
  chunk(chunk: StreamChunk): string;
  /** The end of a stream that completed: usage (when the format or the client wants it) and the terminator. */
  end(usage: Usage | undefined, report: GatewayReport): string;
  /** The end of a stream that failed after it began. */
  error(err: GatewayError): string;
}

/** How an ingress asks for and answers a prompt's token count (Anthropic's count_tokens). */
export interface CountTokensDialect {
  readonly endpoint: string;
  parse(body: unknown, path: string, headers: IncomingHttpHeaders): ChatRequest;
  response(inputTokens: number): string;
  error(err: GatewayError): WireError;
}

export interface EmbeddingsDialect {
  readonly endpoint: string;
  parse(body: unknown, path: string): EmbeddingsRequest;
  response(resp: EmbeddingsResponse, req: EmbeddingsRequest, upstreamModel: string): string;
  error(err: GatewayError): WireError;
}
