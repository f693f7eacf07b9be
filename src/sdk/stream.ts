import type OpenAI from 'openai';
import { Stream } from 'openai/core/streaming';
import { fromStreamError } from './errors.js';
import { metaFromHeaders, type TollgateMeta, type TollgateUsageExtension } from './meta.js';

/** A chat.completion.chunk; the final usage chunk also carries the call's cost and balance. */
export type TollgateChatCompletionChunk = OpenAI.ChatCompletionChunk & { x_tollgate?: TollgateUsageExtension };

function isUsageChunk(chunk: OpenAI.ChatCompletionChunk): boolean {
  return chunk.choices.length === 0 && chunk.usage != null;
}

/**
 * The `openai` package's Stream, plus what the gateway reports about the call. The SDK always
 * asks for `stream_options.include_usage` (the gateway sends cost and balance only in the usage
 * chunk); when the caller did not ask for usage, that chunk is consumed here and never yielded,
 * so the chunks are exactly those a plain OpenAI client would see.
 */
export class TollgateStream extends Stream<TollgateChatCompletionChunk> {
  /**
   * requestId, model, provider, clampedMaxTokens and replayed are known at once; cost, balance
   * and estimated are filled in when the stream has been read to its end.
   */
  readonly tollgate: TollgateMeta;
  readonly #ended: Promise<TollgateMeta>;

  constructor(inner: Stream<OpenAI.ChatCompletionChunk>, response: Response, hideUsage: boolean) {
    const meta = metaFromHeaders(response.headers);
    let settle!: { resolve: (m: TollgateMeta) => void; reject: (e: unknown) => void };
    const ended = new Promise<TollgateMeta>((resolve, reject) => (settle = { resolve, reject }));
    ended.catch(() => undefined); // reported to whoever awaits finalMeta(), never as an unhandled rejection

    async function* relay(): AsyncGenerator<TollgateChatCompletionChunk> {
      try {
        for await (const chunk of inner as Stream<TollgateChatCompletionChunk>) {
          if (chunk.x_tollgate) Object.assign(meta, { cost: chunk.x_tollgate.cost, balance: chunk.x_tollgate.balance, estimated: chunk.x_tollgate.estimated });
          if (hideUsage && isUsageChunk(chunk)) continue;
          yield chunk;
        }
      } catch (err) {
        const mapped = fromStreamError(err, response.headers);
        settle.reject(mapped);
        throw mapped;
      } finally {
        settle.resolve(meta); // a no-op after a rejection; on an early break, cost stays null
      }
    }

    super(() => relay(), inner.controller);
    this.tollgate = meta;
    this.#ended = ended;
  }

  /**
   * The complete metadata, once the stream has been read to its end: resolves with cost and
   * balance (null if the stream was abandoned early), rejects with the stream's error.
   */
  finalMeta(): Promise<TollgateMeta> {
    return this.#ended;
  }
}
