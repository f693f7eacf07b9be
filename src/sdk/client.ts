import OpenAI, { OpenAIError, type APIPromise, type ClientOptions } from 'openai';
import { errorFromResponse } from './errors.js';
import { envVar, HttpClient, resolveBaseURL } from './http.js';
import { attachMeta, metaFromHeaders, type WithTollgate } from './meta.js';
import { TollgateStream } from './stream.js';
import { encodeTags, tagFilter, type Credits, type RequestRecord, type Tags, type Usage, type UsageQuery } from './types.js';

export interface TollgateOptions {
  /** A Tollgate API key (default: the TOLLGATE_API_KEY environment variable). */
  apiKey?: string;
  /** The gateway's address, with or without /v1 (default: TOLLGATE_BASE_URL, else http://localhost:8080). */
  baseURL?: string;
  /** Tags sent with every call (per-call `tags` add to and override them). */
  defaultTags?: Tags;
  /**
   * Send an Idempotency-Key with every POST (generated when the call gives none), so the SDK's
   * own retries of a timed-out or failed call are never charged twice. Off by default: the
   * gateway keeps each keyed answer for a day.
   */
  idempotentRetries?: boolean;
  /** Retries on connection errors, 408, 409, 429 and 5xx, honouring Retry-After (default 2). */
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds (default 600 000 for model calls, 60 000 for reads). */
  timeout?: number;
  fetch?: typeof fetch;
  defaultHeaders?: Record<string, string>;
}

/** The `openai` package's per-call options, plus the gateway's. `idempotencyKey` becomes the Idempotency-Key header. */
export type TollgateRequestOptions = OpenAI.RequestOptions & {
  /** Per-request tags, recorded on the request and filterable in usage. */
  tags?: Tags;
};

type HeadersLike = OpenAI.RequestOptions['headers'];

/** The openai client, speaking to the gateway: gateway errors become the SDK's typed errors. */
class GatewayOpenAI extends OpenAI {
  constructor(opts: ClientOptions & { idempotentRetries?: boolean }) {
    super(opts);
    if (opts.idempotentRetries) this.idempotencyHeader = 'Idempotency-Key';
  }

  protected override makeStatusError(status: number, error: object, message: string | undefined, headers: Headers) {
    return errorFromResponse(status, error, message, headers);
  }
}

/** The caller's own headers win over the ones the SDK derives from `tags` and `idempotencyKey`. */
function mergeHeaders(derived: Record<string, string>, given: HeadersLike): HeadersLike {
  if (Object.keys(derived).length === 0) return given;
  if (!given) return derived;
  if (given instanceof Headers) {
    const h = new Headers(given);
    for (const [k, v] of Object.entries(derived)) if (!h.has(k)) h.set(k, v);
    return h;
  }
  if (Array.isArray(given)) return [...Object.entries(derived).filter(([k]) => !given.some((row) => String(row[0]).toLowerCase() === k)), ...given];
  return { ...derived, ...(given as Record<string, string>) };
}

/** Turns the SDK's per-call options into the `openai` package's. */
type OptionsMapper = (options: TollgateRequestOptions | undefined) => OpenAI.RequestOptions;

class ChatCompletions {
  constructor(
    private readonly openai: OpenAI,
    private readonly options: OptionsMapper,
  ) {}

  /**
   * openai's `chat.completions.create`, same parameters and result, plus `tollgate` metadata:
   * on the completion (cost and balance at once), or on the stream (cost and balance when it
   * ends; see TollgateStream.finalMeta()).
   */
  create(body: OpenAI.ChatCompletionCreateParamsNonStreaming, options?: TollgateRequestOptions): APIPromise<WithTollgate<OpenAI.ChatCompletion>>;
  create(body: OpenAI.ChatCompletionCreateParamsStreaming, options?: TollgateRequestOptions): APIPromise<TollgateStream>;
  create(body: OpenAI.ChatCompletionCreateParams, options?: TollgateRequestOptions): APIPromise<TollgateStream | WithTollgate<OpenAI.ChatCompletion>>;
  create(body: OpenAI.ChatCompletionCreateParams, options?: TollgateRequestOptions): APIPromise<TollgateStream | WithTollgate<OpenAI.ChatCompletion>> {
    const opts = this.options(options);
    if (body.stream) {
      const hideUsage = body.stream_options?.include_usage !== true;
      const streaming = { ...body, stream: true as const, stream_options: { ...body.stream_options, include_usage: true } };
      return this.openai.chat.completions.create(streaming, opts)._thenUnwrap((stream, props) => new TollgateStream(stream, props.response, hideUsage));
    }
    return this.openai.chat.completions
      .create(body as OpenAI.ChatCompletionCreateParamsNonStreaming, opts)
      ._thenUnwrap((completion, props) => attachMeta(completion, metaFromHeaders(props.response.headers)));
  }
}

class Embeddings {
  constructor(
    private readonly openai: OpenAI,
    private readonly options: OptionsMapper,
  ) {}

  /** openai's `embeddings.create`, same parameters and result, plus `tollgate` metadata. */
  create(body: OpenAI.EmbeddingCreateParams, options?: TollgateRequestOptions): APIPromise<WithTollgate<OpenAI.CreateEmbeddingResponse>> {
    return this.openai.embeddings
      .create(body, this.options(options))
      ._thenUnwrap((response, props) => attachMeta(response, metaFromHeaders(props.response.headers)));
  }
}

/**
 * The client for internal apps: the OpenAI API as the `openai` package has it, plus what the
 * gateway knows — the cost and remaining balance of every call, Idempotency-Key, tags, balance
 * and usage reads, and typed errors.
 */
export class Tollgate {
  /** The underlying `openai` client (same key, address and typed errors), for anything else it offers. */
  readonly openai: OpenAI;
  /** The gateway's root address. */
  readonly baseURL: string;
  readonly chat: { readonly completions: ChatCompletions };
  readonly embeddings: Embeddings;
  readonly #http: HttpClient;
  readonly #defaultTags: Tags;

  constructor(opts: TollgateOptions = {}) {
    const apiKey = opts.apiKey ?? envVar('TOLLGATE_API_KEY');
    if (!apiKey) throw new OpenAIError('Tollgate needs an API key: pass { apiKey } or set TOLLGATE_API_KEY.');
    this.baseURL = resolveBaseURL(opts.baseURL);
    this.#defaultTags = { ...opts.defaultTags };
    this.openai = new GatewayOpenAI({
      apiKey,
      baseURL: `${this.baseURL}/v1`,
      organization: null,
      project: null,
      maxRetries: opts.maxRetries,
      timeout: opts.timeout,
      fetch: opts.fetch,
      defaultHeaders: opts.defaultHeaders,
      idempotentRetries: opts.idempotentRetries,
    });
    this.#http = new HttpClient({ baseURL: `${this.baseURL}/v1`, token: apiKey, fetch: opts.fetch, timeout: opts.timeout ?? 60_000, maxRetries: opts.maxRetries, defaultHeaders: opts.defaultHeaders });
    const mapOptions: OptionsMapper = (options) => this.#requestOptions(options);
    this.chat = { completions: new ChatCompletions(this.openai, mapOptions) };
    this.embeddings = new Embeddings(this.openai, mapOptions);
  }

  /** GET /v1/models: the enabled catalogue (the `openai` package's models resource). */
  get models(): OpenAI['models'] {
    return this.openai.models;
  }

  /** The key's account: balance, held (reserved by requests in flight) and available credits. */
  credits(): Promise<Credits> {
    return this.#http.request('GET', '/credits');
  }

  /** Totals, per-model breakdown and recent requests over a period, optionally filtered by tags. */
  usage(query: UsageQuery = {}): Promise<Usage> {
    const { tags, ...rest } = query;
    return this.#http.request('GET', '/usage', { query: { ...rest, tag: tagFilter(tags) } });
  }

  /** One request of the key's account by id (TollgateMeta.requestId), with its tokens and cost. */
  request(id: string): Promise<RequestRecord> {
    return this.#http.request('GET', `/requests/${encodeURIComponent(id)}`);
  }

  /** The `openai` request options for one call: tags and Idempotency-Key become headers. */
  #requestOptions(options: TollgateRequestOptions | undefined): OpenAI.RequestOptions {
    const { tags, ...rest } = options ?? {};
    const allTags = { ...this.#defaultTags, ...tags };
    const derived: Record<string, string> = {};
    if (Object.keys(allTags).length > 0) derived['x-tollgate-tags'] = encodeTags(allTags);
    if (rest.idempotencyKey !== undefined) derived['idempotency-key'] = rest.idempotencyKey;
    return { ...rest, headers: mergeHeaders(derived, rest.headers) };
  }
}
