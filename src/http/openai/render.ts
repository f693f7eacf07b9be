import type { ChatResponse, ChoiceDelta, EmbeddingsResponse, StreamChunk, Usage } from '../../canonical/index.js';

export function renderUsage(u: Usage): Record<string, unknown> {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedPromptTokens },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}

/** Canonical response → OpenAI chat.completion JSON text (the provider's own text when it is already that). */
export function renderChatCompletion(resp: ChatResponse, usage: Usage): string {
  if (resp.raw?.format === 'openai') return resp.raw.text;
  return JSON.stringify({
    id: resp.id,
    object: 'chat.completion',
    created: resp.created,
    model: resp.model,
    choices: resp.choices.map((c) => {
      const message: Record<string, unknown> = { role: 'assistant', content: c.text, refusal: c.refusal ?? null };
      if (c.toolCalls?.length) {
        message.tool_calls = c.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
      }
      return { index: c.index, message, logprobs: c.logprobs ?? null, finish_reason: c.finishReason };
    }),
    usage: renderUsage(usage),
    system_fingerprint: resp.systemFingerprint ?? null,
  });
}

export interface ChunkIdentity {
  id: string;
  created: number;
  model: string;
}

function renderDelta(d: ChoiceDelta): Record<string, unknown> {
  const delta: Record<string, unknown> = {};
  if (d.role) delta.role = d.role;
  if (d.text !== undefined) delta.content = d.text;
  if (d.refusal !== undefined) delta.refusal = d.refusal;
  if (d.toolCalls) {
    delta.tool_calls = d.toolCalls.map((t) => {
      const fn: Record<string, string> = {};
      if (t.name !== undefined) fn.name = t.name;
      fn.arguments = t.arguments ?? '';
      return t.id !== undefined ? { index: t.index, id: t.id, type: 'function', function: fn } : { index: t.index, function: fn };
    });
  }
  return { index: d.index, delta, logprobs: d.logprobs ?? null, finish_reason: d.finishReason ?? null };
}

/** One canonical stream chunk → the JSON of an OpenAI chat.completion.chunk. */
export function renderChunk(chunk: StreamChunk, ident: ChunkIdentity): string {
  return JSON.stringify({
    id: ident.id,
    object: 'chat.completion.chunk',
    created: ident.created,
    model: ident.model,
    choices: chunk.choices.map(renderDelta),
  });
}

/** The final usage chunk; `extra` adds gateway fields (x_tollgate: cost and balance). */
export function renderUsageChunk(usage: Usage, ident: ChunkIdentity, extra?: Record<string, unknown>): string {
  return JSON.stringify({
    id: ident.id,
    object: 'chat.completion.chunk',
    created: ident.created,
    model: ident.model,
    choices: [],
    usage: renderUsage(usage),
    ...extra,
  });
}

/** Float vector → base64 of little-endian float32, as OpenAI sends for encoding_format=base64. */
export function floatsToBase64(v: number[]): string {
  const buf = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i]!, i * 4);
  return buf.toString('base64');
}

export function renderEmbeddings(resp: EmbeddingsResponse, encoding: 'float' | 'base64' | undefined, model: string): string {
  return JSON.stringify({
    object: 'list',
    data: resp.data.map((d) => ({
      object: 'embedding',
      index: d.index,
      embedding: encoding === 'base64' && Array.isArray(d.embedding) ? floatsToBase64(d.embedding) : d.embedding,
    })),
    model: resp.model || model,
    usage: { prompt_tokens: resp.usage.promptTokens, total_tokens: resp.usage.promptTokens },
  });
}
