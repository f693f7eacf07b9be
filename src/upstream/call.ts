import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamChunk } from '../canonical/index.js';
import { adapterFor } from '../providers/registry.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../providers/types.js';
import { streamCut } from '../providers/shared/errors.js';
import { UpstreamError } from '../errors.js';
import { transportError, type Transport, type UpstreamResponse } from './transport.js';
import type { Cancel } from '../util/cancel.js';

/** Reads a whole body, mapping socket failures and timeouts like connection errors. */
async function readText(res: UpstreamResponse, target: UpstreamTarget, abort: Cancel | undefined): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw transportError(err, target.provider, res.timedOut(), (abort?.aborted ?? false) && !res.timedOut());
  }
}

/** `traceHeaders`: the attempt span's W3C trace context (traceparent, tracestate), when traced. */
async function exchange(
  transport: Transport,
  target: UpstreamTarget,
  httpReq: UpstreamHttpRequest,
  abort: Cancel | undefined,
  traceHeaders: Record<string, string> | undefined,
): Promise<UpstreamResponse> {
  const res = await transport.send(target.provider, traceHeaders ? { ...httpReq, headers: { ...httpReq.headers, ...traceHeaders } } : httpReq, abort);
  if (res.status >= 400) {
    const text = await readText(res, target, abort);
    throw adapterFor(target.provider.kind).parseError(res.status, text, res.headers);
  }
  return res;
}

/** One non-streaming chat attempt against one deployment. */
export async function sendChat(transport: Transport, target: UpstreamTarget, req: ChatRequest, abort?: Cancel, traceHeaders?: Record<string, string>): Promise<ChatResponse> {
  const adapter = adapterFor(target.provider.kind);
  const res = await exchange(transport, target, adapter.chat.buildRequest(req, target), abort, traceHeaders);
  return adapter.chat.parseResponse(await readText(res, target, abort), target);
}

export async function sendEmbeddings(
  transport: Transport,
  target: UpstreamTarget,
  req: EmbeddingsRequest,
  abort?: Cancel,
  traceHeaders?: Record<string, string>,
): Promise<EmbeddingsResponse> {
  const adapter = adapterFor(target.provider.kind);
  if (!adapter.embeddings) throw new Error(`provider kind ${target.provider.kind} has no embeddings`);
  const res = await exchange(transport, target, adapter.embeddings.buildRequest(req, target), abort, traceHeaders);
  return adapter.embeddings.parseResponse(await readText(res, target, abort), target, req);
}

/** One token-count attempt against a deployment whose provider counts prompts itself. */
export async function sendCountTokens(transport: Transport, target: UpstreamTarget, req: ChatRequest, abort?: Cancel, traceHeaders?: Record<string, string>): Promise<number> {
  const counter = adapterFor(target.provider.kind).countTokens;
  if (!counter) throw new Error(`provider kind ${target.provider.kind} cannot count tokens`);
  const res = await exchange(transport, target, counter.buildRequest(req, target), abort, traceHeaders);
  return counter.parseResponse(await readText(res, target, abort));
}

/** A streamed chat response whose headers arrived with a 2xx status. */
export interface ChatStream {
  target: UpstreamTarget;
  /** Canonical chunks as the upstream produces them. Throws UpstreamError on a cut or an error event. */
  chunks(): AsyncGenerator<StreamChunk>;
}

export async function openChatStream(transport: Transport, target: UpstreamTarget, req: ChatRequest, abort?: Cancel, traceHeaders?: Record<string, string>): Promise<ChatStream> {
  const adapter = adapterFor(target.provider.kind);
  const res = await exchange(transport, target, adapter.chat.buildRequest(req, target), abort, traceHeaders);
  const decoder = adapter.chat.createStreamDecoder(target, req);
  return {
    target,
    async *chunks() {
      try {
        for await (const text of res.pieces()) {
          for (const chunk of decoder.push(text)) yield chunk;
        }
        for (const chunk of decoder.end()) yield chunk;
      } catch (err) {
        res.destroy();
        const mapped = transportError(err, target.provider, res.timedOut(), (abort?.aborted ?? false) && !res.timedOut());
        // The connection dropping after the stream began is a cut stream, whatever the socket said.
        if (mapped instanceof UpstreamError && mapped.code === 'upstream_connection_error') throw streamCut(target.provider.name);
        throw mapped;
      }
    },
  };
}

/**
 * Reads the stream's first chunk before anything is sent to the client, so a stream that fails
 * at once can still be retried or failed over. The returned stream yields that chunk first.
 */
export async function peekFirst(stream: ChatStream): Promise<ChatStream> {
  const it = stream.chunks();
  const first = await it.next();
  return {
    target: stream.target,
    async *chunks() {
      if (!first.done) yield first.value;
      yield* it;
    },
  };
}
