import type { ChatRequest } from '../../canonical/index.js';
import type { ParamTable } from '../shared/params.js';

/**
 * What differs between providers that speak the OpenAI chat format (OpenAI itself, Mistral):
 * the translators in this folder are shared and read these declarations.
 */
export interface OpenAIDialect {
  /** Provider name for error messages. */
  name: string;
  params: ParamTable;
  /** Forward the client's OpenAI body with a shallow patch instead of rebuilding it. */
  passthrough: boolean;
  /** Field used when the gateway itself must set a token limit. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Ask for a usage chunk at the end of streams (`stream_options.include_usage`). */
  streamUsageOption: boolean;
  /** OpenAI-only fields (ChatRequest.extra) this provider accepts as they are. `'*'` = all. */
  extras: ReadonlySet<string> | '*';
  /** Wire value for tool_choice "required". */
  requiredToolChoice: string;
  /** Rewrites tool-call ids the provider would reject (Mistral wants 9 alphanumerics). */
  toolCallId?: (id: string) => string;
  /** Upstream finish reasons beyond OpenAI's own, mapped to canonical ones. */
  finishReasons?: Readonly<Record<string, 'stop' | 'length' | 'tool_calls' | 'content_filter'>>;
  /** Last chance to reject a request shape the provider cannot take (runs after the table). */
  check?: (req: ChatRequest) => void;
}
