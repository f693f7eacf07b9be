import type { ThinkingBlock, ToolCall, WireFormat } from './request.js';

/** A provider's own text (a response body, or one stream event), relayed unchanged to a client speaking the same format. */
export interface RawWire {
  format: WireFormat;
  text: string;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * Token usage in one convention for all providers (OpenAI's):
 * - promptTokens counts every prompt token, including cached reads and cache writes;
 * - cachedPromptTokens and cacheWriteTokens are the parts of promptTokens read from / written to
 *   the provider's prompt cache (priced separately, never counted twice);
 * - completionTokens counts every generated token, including reasoningTokens.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** True when the figures come from the gateway's estimator, not from the provider. */
  estimated?: boolean;
}

export interface ChatChoice {
  index: number;
  text: string | null;
  toolCalls?: ToolCall[];
  refusal?: string | null;
  /** The model's thinking blocks (Anthropic), which a client hands back when it continues a tool-use turn. */
  thinking?: ThinkingBlock[];
  finishReason: FinishReason;
  /** Which of the request's stop sequences ended the answer, when the provider says. */
  stopSequence?: string;
  logprobs?: unknown;
}

export interface ChatResponse {
  id: string;
  created: number;
  /** The upstream model that produced the answer, as the provider named it. */
  model: string;
  choices: ChatChoice[];
  /** Absent when the provider did not report usage; the gateway then estimates it. */
  usage?: Usage;
  systemFingerprint?: string | null;
  /** The provider's response body, for a client of the same wire format (relayed byte for byte). */
  raw?: RawWire;
}

export interface Embedding {
  index: number;
  /** Float vector, or base64 of little-endian float32 when the caller asked for base64. */
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  model: string;
  data: Embedding[];
  usage: { promptTokens: number; estimated?: boolean };
}
