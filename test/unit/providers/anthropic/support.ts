import { readFileSync } from 'node:fs';
import type { ChatRequest, StreamChunk, StreamDecoder } from '../../../../src/canonical/index.js';
import { parseChatCompletionRequest } from '../../../../src/http/openai/parse-chat.js';
import type { UpstreamTarget } from '../../../../src/providers/types.js';

export function fixture(name: string): string {
  return readFileSync(new URL(`../../../fixtures/anthropic/${name}`, import.meta.url), 'utf8');
}

export const target: UpstreamTarget = {
  provider: {
    id: 'anthropic', kind: 'anthropic', name: 'Anthropic', baseUrl: 'https://api.anthropic.com/v1', enabled: true,
    connectTimeoutMs: 1000, firstByteTimeoutMs: 1000, totalTimeoutMs: 1000, keys: [],
  },
  key: { id: 'k1', providerId: 'anthropic', label: 'primary', secret: 'sk-ant-test-key', last4: '-key', weight: 1, enabled: true, rpmLimit: null, tpmLimit: null },
  model: {
    alias: 'claude-sonnet', providerId: 'anthropic', upstreamModel: 'claude-sonnet-4-5', kind: 'chat', contextWindow: 200_000, maxOutputTokens: 64_000,
    supportsVision: true, supportsTools: true, supportsJson: true, enabled: true, fallbacks: [], cacheTtlSeconds: null, prices: [],
  },
};

/** A canonical request built the way the gateway builds it: from an OpenAI chat-completions body. */
export function fromOpenAI(body: Record<string, unknown>): ChatRequest {
  return parseChatCompletionRequest({ model: 'claude-sonnet', messages: [{ role: 'user', content: 'Hello' }], ...body });
}

/** Feeds `text` to the decoder in pieces of `size` characters and collects every chunk. */
export function decodeInPieces(decoder: StreamDecoder, text: string, size: number): StreamChunk[] {
  const out: StreamChunk[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...decoder.push(text.slice(i, i + size)));
  out.push(...decoder.end());
  return out;
}
