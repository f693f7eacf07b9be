/**
 * What the gateway tells about each call, beyond the OpenAI response itself: who served it,
 * what it cost and what is left. Read from the response headers (and, for streams, from the
 * final usage chunk's `x_tollgate` field).
 */
export interface TollgateMeta {
  /**
   * The id of the gateway's record of this call; look it up later with `tollgate.request(id)`. A
   * replay is not a new request: this is the first call's id (x-tollgate-original-request-id).
   */
  requestId: string | null;
  /** The catalogue model that served the call (x-tollgate-model). */
  model: string | null;
  /** The provider that served it (x-tollgate-provider). */
  provider: string | null;
  /**
   * Credits charged, as an exact decimal string ("0.000015"). On a replay (`replayed`) nothing
   * new was charged and this is what the first call cost.
   */
  cost: string | null;
  /** The account balance after the charge (null on replays, and for streams until they end). */
  balance: string | null;
  /** Set when the balance could not cover the requested max_tokens and the gateway lowered it. */
  clampedMaxTokens: number | null;
  /** True when the answer was replayed from an earlier call with the same Idempotency-Key. */
  replayed: boolean;
  /** Streams: true when the usage was estimated (the provider sent no usage report). */
  estimated: boolean | null;
}

/** The `x_tollgate` field of a stream's final usage chunk. */
export interface TollgateUsageExtension {
  cost: string;
  balance: string | null;
  estimated: boolean;
}

/** An `openai` result carrying its Tollgate metadata. */
export type WithTollgate<T> = T & { readonly tollgate: TollgateMeta };

export function metaFromHeaders(headers: Headers): TollgateMeta {
  const clamped = headers.get('x-tollgate-max-tokens-clamped');
  return {
    requestId: headers.get('x-tollgate-original-request-id') ?? headers.get('x-request-id'),
    model: headers.get('x-tollgate-model'),
    provider: headers.get('x-tollgate-provider'),
    cost: headers.get('x-tollgate-cost'),
    balance: headers.get('x-tollgate-balance'),
    clampedMaxTokens: clamped === null ? null : Number(clamped),
    replayed: headers.get('idempotent-replayed') === 'true',
    estimated: null,
  };
}

/**
 * Adds `tollgate` to a result object. Like the `openai` package's own `_request_id`, it is not
 * enumerable: the object still serialises (and compares) as the plain OpenAI response.
 */
export function attachMeta<T extends object>(target: T, meta: TollgateMeta): WithTollgate<T> {
  Object.defineProperty(target, 'tollgate', { value: meta, enumerable: false, configurable: true });
  return target as WithTollgate<T>;
}
