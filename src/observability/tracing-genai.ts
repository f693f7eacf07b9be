import type { ChatRequest, ChatResponse, StreamChunk, Usage } from '../canonical/index.js';
import type { ProviderKind } from '../config/catalogue.js';
import { ClientAbortedError } from '../errors.js';
import type { UpstreamTarget } from '../providers/types.js';
import type { Attributes, TraceSpan } from './tracing.js';

/**
 * What the gateway's spans say, in the OpenTelemetry GenAI semantic conventions
 * (gen_ai.* attributes) plus the gateway's own (tollgate.*). Only counts, names, ids and codes:
 * never a prompt, an answer, an error message, a key or a header (docs/ARCHITECTURE.md, "Tracing").
 */

/** gen_ai.provider.name (and the older gen_ai.system) of each provider kind, as the conventions name them. */
const PROVIDER_NAMES: Record<ProviderKind, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  mistral: 'mistral_ai',
};

/** gen_ai.operation.name of each endpoint (the request log's endpoint names). */
const OPERATIONS: Record<string, string> = {
  'chat.completions': 'chat',
  responses: 'chat',
  messages: 'chat',
  'gemini.generateContent': 'generate_content',
  embeddings: 'embeddings',
  'messages.count_tokens': 'count_tokens',
};

export function genAiOperation(endpoint: string): string {
  return OPERATIONS[endpoint] ?? endpoint;
}

export function providerAttributes(kind: ProviderKind, providerId: string): Attributes {
  const name = PROVIDER_NAMES[kind] ?? kind;
  return { 'gen_ai.provider.name': name, 'gen_ai.system': name, 'tollgate.provider.id': providerId };
}

/** The request's parameters that the conventions name (no content). */
export function chatRequestAttributes(chat: ChatRequest): Attributes {
  const p = chat.params;
  return {
    'gen_ai.request.max_tokens': p.maxTokens,
    'gen_ai.request.temperature': p.temperature,
    'gen_ai.request.top_p': p.topP,
    'gen_ai.request.choice.count': p.n,
    'gen_ai.request.stream': chat.stream,
  };
}

/** The answer's model, id and finish reasons. */
export function traceResponse(span: TraceSpan, resp: Pick<ChatResponse, 'id' | 'model' | 'choices'>): void {
  if (!span.recording) return;
  span.setAll({
    'gen_ai.response.model': resp.model || undefined,
    'gen_ai.response.id': resp.id || undefined,
    'gen_ai.response.finish_reasons': resp.choices.map((c) => c.finishReason),
  });
}

export function usageAttributes(u: Usage): Attributes {
  return {
    'gen_ai.usage.input_tokens': u.promptTokens,
    'gen_ai.usage.output_tokens': u.completionTokens,
    'gen_ai.usage.cache_read.input_tokens': u.cachedPromptTokens || undefined,
    'gen_ai.usage.cache_creation.input_tokens': u.cacheWriteTokens || undefined,
    'gen_ai.usage.reasoning.output_tokens': u.reasoningTokens || undefined,
    'tollgate.usage.estimated': u.estimated || undefined,
  };
}

const addresses = new Map<string, { host?: string; port?: number }>();

/** server.address and server.port of a provider's base URL (parsed once per URL; never its path or credentials). */
function serverAddress(baseUrl: string): { host?: string; port?: number } {
  let a = addresses.get(baseUrl);
  if (!a) {
    try {
      const url = new URL(baseUrl);
      a = { host: url.hostname, port: url.port ? Number(url.port) : undefined };
    } catch {
      a = {};
    }
    if (addresses.size > 1_000) addresses.clear();
    addresses.set(baseUrl, a);
  }
  return a;
}

/**
 * One upstream attempt's span (kind client, named "{operation} {upstream model}"), a child of the
 * request's. `number` counts the request's attempts from 1; a deployment after the first of the
 * route is a fallback.
 */
export function startAttemptSpan(parent: TraceSpan, endpoint: string, target: UpstreamTarget, number: number, fallback: boolean): TraceSpan {
  // Not recorded (tracing off, or not sampled): a span that still propagates the trace context.
  if (!parent.recording) return parent.child('upstream', undefined, 'client');
  const operation = genAiOperation(endpoint);
  const { host, port } = serverAddress(target.provider.baseUrl);
  return parent.child(
    `${operation} ${target.model.upstreamModel}`,
    {
      'gen_ai.operation.name': operation,
      ...providerAttributes(target.provider.kind, target.provider.id),
      'gen_ai.request.model': target.model.upstreamModel,
      'tollgate.model.alias': target.model.alias,
      'tollgate.provider.key_id': target.key.id,
      'tollgate.attempt.number': number,
      'tollgate.attempt.fallback': fallback,
      'server.address': host,
      'server.port': port,
    },
    'client',
  );
}

/**
 * Ends an attempt's span with its outcome as the request log records it (id, status, why another
 * attempt followed) and, when it failed, the error's code (`errorType`, never its message).
 */
export function endAttemptSpan(span: TraceSpan, attempt: { attemptId: string; status: number; retryReason?: string } | undefined, errorType?: string): void {
  if (!span.recording) return;
  if (attempt) span.setAll({ 'tollgate.attempt.id': attempt.attemptId, 'http.response.status_code': attempt.status || undefined, 'tollgate.attempt.retry_reason': attempt.retryReason });
  if (errorType) span.fail(errorType);
  span.end();
}

/**
 * Wraps a stream's chunks with its span ("tollgate.stream", a child of the request's): time to
 * the first token (from the request's start, also an event), chunks relayed, the response model
 * and finish reasons, and how it ended (complete, failed, or left by its client). The chunks are
 * passed through untouched; with tracing off the stream is returned as it is.
 */
export function traceStream<S extends { chunks(): AsyncGenerator<StreamChunk> }>(parent: TraceSpan, stream: S, requestStartedHr: bigint): S {
  if (!parent.recording) return stream;
  const span = parent.child('tollgate.stream');
  const inner = stream.chunks.bind(stream);
  async function* chunks(): AsyncGenerator<StreamChunk> {
    let count = 0;
    let firstToken = false;
    // The relay stops reading when its client goes away (or the upstream read is aborted for it).
    let outcome = 'client_gone';
    let model: string | undefined;
    // One finish reason per choice, whichever chunk carries it (some providers repeat it).
    const reasons = new Map<number, string>();
    try {
      for await (const chunk of inner()) {
        count++;
        if (chunk.model) model ??= chunk.model;
        for (const d of chunk.choices) {
          if (d.finishReason) reasons.set(d.index, d.finishReason);
          if (!firstToken && (d.text || d.toolCalls?.length || d.refusal)) {
            firstToken = true;
            const ms = Number(process.hrtime.bigint() - requestStartedHr) / 1e6;
            span.set('tollgate.stream.time_to_first_token_ms', Math.round(ms * 10) / 10);
            span.event('gen_ai.first_token');
          }
        }
        yield chunk;
      }
      outcome = 'complete';
    } catch (err) {
      if (!(err instanceof ClientAbortedError)) {
        outcome = 'error';
        span.fail(String((err as { code?: unknown }).code ?? 'stream_error'));
      }
      throw err;
    } finally {
      span.setAll({ 'tollgate.stream.chunks': count, 'tollgate.stream.outcome': outcome, 'gen_ai.response.model': model });
      if (reasons.size) {
        const finish = [...reasons.entries()].sort(([a], [b]) => a - b).map(([, r]) => r);
        span.set('gen_ai.response.finish_reasons', finish);
        parent.set('gen_ai.response.finish_reasons', finish);
      }
      if (model) parent.set('gen_ai.response.model', model);
      span.end();
    }
  }
  return { ...stream, chunks };
}
