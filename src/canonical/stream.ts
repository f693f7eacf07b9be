import type { FinishReason, RawWire, Usage } from './response.js';

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
  /** A fragment of thinking block `block` (counted from 0 in the answer): its text, its signature, or a redacted block's data. */
  thinking?: { block: number; text?: string; signature?: string; redacted?: string };
  finishReason?: FinishReason;
  /** With the finish: the stop sequence that ended the answer. */
  stopSequence?: string;
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
  /**
   * The provider's own event as received (an OpenAI chunk's JSON, a whole Anthropic SSE event),
   * so a client of the same format is sent it unchanged. Events with no canonical content still
   * arrive, with no choices, to carry it.
   */
  raw?: RawWire;
}

/** Incremental decoder for one upstream stream: feed text as it arrives, collect chunks. */
export interface StreamDecoder {
  /** Feed a piece of the upstream body; returns the complete events it finished. */
  push(text: string): StreamChunk[];
  /** The upstream body ended; returns any trailing events. Throws UpstreamError if the stream ended in an error event. */
  end(): StreamChunk[];
}
