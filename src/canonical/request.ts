/**
 * The canonical chat request: the one shape every ingress produces and every provider consumes.
 * Field names are the gateway's own; each provider's translator maps them to its wire format.
 */

export type JsonSchema = Record<string, unknown>;

export interface TextPart {
  type: 'text';
  text: string;
}

/** An image given as an https URL or a data: URL (base64). */
export interface ImagePart {
  type: 'image';
  url: string;
  detail?: 'auto' | 'low' | 'high';
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as the model produced it. */
  arguments: string;
}

export interface SystemMessage {
  role: 'system';
  text: string;
}

export interface UserMessage {
  role: 'user';
  content: ContentPart[];
  name?: string;
}

/**
 * A block of the model's extended thinking, kept so a conversation can hand it back: Anthropic
 * verifies the signature (or the opaque `data` of a redacted block) when a tool-use turn continues.
 */
export type ThinkingBlock = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

export interface AssistantMessage {
  role: 'assistant';
  /** Text of the turn; null when the turn only calls tools. */
  text: string | null;
  toolCalls?: ToolCall[];
  /** The turn's thinking blocks, in order; they came before its text and tool calls. */
  thinking?: ThinkingBlock[];
  name?: string;
}

export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  text: string;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: JsonSchema;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: JsonSchema; strict?: boolean; description?: string };

export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';

/**
 * Sampling and output parameters. Each provider declares, in its param table, which of these it
 * maps and how; anything present that a provider cannot honour is a 400.
 */
export interface ChatParams {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  n?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  logitBias?: Record<string, number>;
  logprobs?: boolean;
  topLogprobs?: number;
  user?: string;
  reasoningEffort?: ReasoningEffort;
  /** Tokens the model may spend thinking (Anthropic's thinking.budget_tokens, Gemini's thinkingBudget). */
  thinkingBudget?: number;
  /** Sample only from the K likeliest tokens. */
  topK?: number;
  /** Return the model's reasoning (as a summary) with the answer, where the provider exposes it. */
  reasoningSummary?: boolean;
  parallelToolCalls?: boolean;
}

/** The wire formats an ingress can speak and a provider can relay unchanged. */
export type WireFormat = 'openai' | 'anthropic';

/**
 * The client's body as received, in its wire format. A provider speaking the same format forwards
 * it with a shallow patch (model, token limit) instead of rebuilding it, so nothing is lost.
 */
export interface WireBody {
  format: WireFormat;
  body: Record<string, unknown>;
  /** Request headers a provider of the same format forwards (e.g. anthropic-beta). */
  headers?: Record<string, string>;
  /**
   * Parameters of the body the canonical form does not model (named as the client wrote them):
   * only a provider of the same format can honour them; any other answers 400.
   */
  unmodelled?: string[];
}

export interface ChatRequest {
  /** The public catalogue alias the client asked for. */
  model: string;
  messages: Message[];
  stream: boolean;
  /** The client asked for a final usage chunk in the stream (stream_options.include_usage). */
  includeUsage: boolean;
  params: ChatParams;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /**
   * OpenAI-format fields the gateway does not model (e.g. `store`, `service_tier`). OpenAI passes
   * them through; every other provider rejects them with a 400.
   */
  extra?: Record<string, unknown>;
  /** The body exactly as received, for providers that speak the ingress's format (see WireBody). */
  wire?: WireBody;
  /** Which form the client's max-token limit came in, so a pass-through patch keeps it. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

export interface EmbeddingsRequest {
  model: string;
  input: string[];
  /** Pre-tokenised input (OpenAI accepts arrays of token ids); only OpenAI can take it. */
  tokenInput?: number[] | number[][];
  /** The client sent a single string rather than a list. */
  single: boolean;
  encodingFormat?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  extra?: Record<string, unknown>;
}
