import type { IncomingHttpHeaders } from 'node:http';
import type { CachedAnswer } from '../cache/response-cache.js';
import type { Catalogue } from '../config/catalogue.js';
import type { Settlement } from '../credits/service.js';
import type { GatewayError } from '../errors.js';
import type { Attributes } from '../observability/tracing.js';
import type { Gateway } from '../gateway.js';
import type { Micros } from '../credits/money.js';
import type { Route } from '../routing/route.js';
import type { RequestContext } from './context.js';
import { costHeaders, type HoldNeeds } from './credits.js';
import type { WireError } from './dialect.js';
import { mergeHeaders, type Exchange, type HeaderSet } from './exchange.js';

/** An answer as a repeat with the same Idempotency-Key receives it. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  stream: boolean;
}

/** A request that was served (from upstream or the cache): what to charge, then how to answer. */
export interface Served {
  cost: Micros;
  /**
   * The whole answer for Idempotency-Key repeats; absent when the request did not complete (a
   * stream cut or left), which releases the key for a retry. Called only when the request has a key.
   */
  stored?: () => StoredAnswer;
  /** Sends (or finishes) the response once the request is settled and its cost and balance are known. */
  respond(settlement: Settlement | undefined): void | Promise<void>;
  /** A complete, successful answer the response cache may keep. */
  cacheable?: CachedAnswer;
}

/**
 * One kind of request the pipeline serves (chat, embeddings): how its body is read, routed,
 * estimated and served. Ingresses differ only in the dialect an operation is built with.
 */
export interface Operation<R> {
  /** The request log's name for the endpoint. */
  readonly endpoint: string;
  parse(body: unknown, path: string, headers: IncomingHttpHeaders): R;
  model(req: R): string;
  stream(req: R): boolean;
  route(catalogue: Catalogue, req: R): Route;
  /** Tokens the limits take at admission (corrected with real usage at the end). */
  tokenEstimate(req: R): number;
  /** The request's parameters as span attributes (no content), when the request is traced. */
  traceAttributes?(req: R): Attributes;
  /** The worst case the hold must cover; absent for requests that are never charged. */
  holdNeeds?(req: R, route: Route): HoldNeeds;
  /** Lowers the request's max_tokens to what the balance affords. */
  clampMaxTokens?(req: R, maxTokens: number): void;
  /** The response-cache step: an answer from the cache, or undefined on a miss. */
  fromCache?(gw: Gateway, ctx: RequestContext, ex: Exchange, req: R, route: Route): Promise<Served | undefined>;
  /** The upstream step: call the provider (retries, breakers, fallbacks) and prepare the answer. */
  serve(gw: Gateway, ctx: RequestContext, ex: Exchange, req: R, route: Route): Promise<Served>;
  /** How this ingress answers an error. */
  error(err: GatewayError): WireError;
}

/**
 * A whole JSON answer costing `cost`: sent with its cost and balance once settled, and kept as
 * sent (cost only: a balance would be stale by then) for Idempotency-Key repeats.
 */
export function jsonAnswer(ex: Exchange, headers: readonly HeaderSet[], body: string, cost: Micros): Pick<Served, 'cost' | 'stored' | 'respond'> {
  return {
    cost,
    stored: () => ({ status: 200, headers: mergeHeaders([...headers, costHeaders(cost, undefined)]), body, stream: false }),
    respond: (s) => ex.send(200, [...headers, costHeaders(cost, s)], body, 'json'),
  };
}
