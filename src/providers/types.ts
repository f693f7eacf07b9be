import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamDecoder } from '../canonical/index.js';
import type { ModelConfig, ProviderConfig, ProviderKeyConfig, ProviderKind } from '../config/catalogue.js';
import type { UpstreamError } from '../errors.js';

/** Where one upstream attempt goes: the deployment (provider + key) and the model id there. */
export interface UpstreamTarget {
  provider: ProviderConfig;
  key: ProviderKeyConfig;
  model: ModelConfig;
}

/** An HTTP request to a provider, relative to the provider's base URL. */
export interface UpstreamHttpRequest {
  method: 'GET' | 'POST';
  /** Path (and query) appended to the provider's base URL, e.g. "/chat/completions". */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface ChatTranslator {
  /** Canonical → provider request. Throws UnsupportedParameterError for anything it cannot honour. */
  buildRequest(req: ChatRequest, target: UpstreamTarget): UpstreamHttpRequest;
  /** Provider JSON body (text) → canonical response. Throws UpstreamError if it is malformed. */
  parseResponse(body: string, target: UpstreamTarget): ChatResponse;
  /** A decoder for one streamed response (SSE text in, canonical chunks out). */
  createStreamDecoder(target: UpstreamTarget, req: ChatRequest): StreamDecoder;
}

/** A provider's own count of a prompt's tokens (free of charge where it offers one). */
export interface TokenCounter {
  buildRequest(req: ChatRequest, target: UpstreamTarget): UpstreamHttpRequest;
  /** The provider's answer → the prompt's input tokens. */
  parseResponse(body: string): number;
}

export interface EmbeddingsTranslator {
  buildRequest(req: EmbeddingsRequest, target: UpstreamTarget): UpstreamHttpRequest;
  parseResponse(body: string, target: UpstreamTarget, req: EmbeddingsRequest): EmbeddingsResponse;
}

/**
 * Everything the gateway knows about one provider kind. A provider is a folder of small pure
 * translators plus one line in registry.ts.
 */
export interface ProviderAdapter {
  readonly kind: ProviderKind;
  /** Human name used in error messages ("Anthropic"). */
  readonly displayName: string;
  /** Default base URL for a new provider of this kind. */
  readonly defaultBaseUrl: string;
  readonly chat: ChatTranslator;
  /** Absent when the provider has no embeddings API. */
  readonly embeddings?: EmbeddingsTranslator;
  /** Absent when the provider cannot count a prompt's tokens; the gateway's estimator counts them then. */
  readonly countTokens?: TokenCounter;
  /** Provider error response → UpstreamError in OpenAI terms (status, type, code, retryable). */
  parseError(status: number, body: string, headers: ResponseHeaders): UpstreamError;
  /** A cheap authenticated request that proves the key works (e.g. list models). */
  connectionCheck(target: Omit<UpstreamTarget, 'model'>): UpstreamHttpRequest;
}
