import type { FinishReason, Usage } from './response.js';

/** The prompt's part of a usage report, as a provider tells it before the stream ends. */
export type PromptUsage = Pick<Usage, 'promptTokens' | 'cachedPromptTokens' | 'cacheWriteTokens'>;

/** A fragment of a tool call: the first fragment carries id and name, later ones argument text. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments?: string;
}

export interface ChoiceDelta {
  index: number;
  role?: 'assistant';
  text?: string;
  toolCalls?: ToolCallDelta[];
  refusal?: string;
  finishReason?: FinishReason;
  logprobs?: unknown;
}

/**
 * One canonical stream event. Providers decode their wire stream into these; ingresses encode
 * them into theirs. `usage` arrives on the last event when the provider reports it.
 */
export interface StreamChunk {
  id?: string;
  model?: string;
  created?: number;
  choices: ChoiceDelta[];
  usage?: Usage;
  /**
   * The provider's prompt figures, on the event where it first reports them (Anthropic's
   * message_start, Gemini's usageMetadata): a stream cut after it is billed with them.
   */
  promptUsage?: PromptUsage;
  /** The OpenAI-format chunk JSON as received, so an OpenAI client can be sent it unchanged. */
  openaiRaw?: string;
}

/** Incremental decoder for one upstream stream: feed text as it arrives, collect chunks. */
export interface StreamDecoder {
  /** Feed a piece of the upstream body; returns the complete events it finished. */
  push(text: string): StreamChunk[];
  /** The upstream body ended; returns any trailing events. Throws UpstreamError if the stream ended in an error event. */
  end(): StreamChunk[];
}
