import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Gateway } from '../gateway.js';
import { chatOperation } from '../pipeline/chat.js';
import { countTokensOperation } from '../pipeline/count-tokens.js';
import { embeddingsOperation } from '../pipeline/embeddings.js';
import type { Operation } from '../pipeline/operation.js';
import type { RequestContext } from '../pipeline/context.js';
import { runPipeline } from '../pipeline/run.js';
import { endRequestSpan, startRequestSpan } from '../pipeline/trace.js';
import { InvalidRequestError } from '../errors.js';
import { renderError } from './error-middleware.js';
import { urlHasNul } from './json-limits.js';
import { NodeExchange } from './exchange.js';
import { beginRequest } from './lifecycle.js';
import { identityHeaders } from './context.js';
import { openAIChat, openAIEmbeddings } from './openai/dialect.js';
import { geminiDialect } from './gemini/dialect.js';
import { ARRAY_FRAMING, SSE_FRAMING } from './gemini/stream.js';
import { openAIResponses } from './responses/dialect.js';

import { anthropicCountTokens } from './anthropic/count-tokens.js';
import { anthropicMessages } from './anthropic/dialect.js';

/** An ingress route: its pipeline, and how it speaks errors (also those refused before the pipeline). */
interface Serve {
  run(ctx: RequestContext, ex: NodeExchange): Promise<void>;
  error: Operation<unknown>['error'];
}
const GEMINI_PREFIXES = ['/v1beta/models/', '/v1/models/'];

/**
 * The server's request listener. The ingress routes — each an operation of the one pipeline in
 * its wire format's dialect — are dispatched here directly (express's router costs as much CPU
 * per request as a whole proxy hop; measured: bench/passthrough.ts); everything else goes to the
 * express app.
 */
export function createRequestListener(gw: Gateway, app: Express): RequestListener {
  const through = <R>(op: Operation<R>): Serve => ({ run: (ctx, ex) => runPipeline(gw, ctx, ex, op), error: (e) => op.error(e) });
  const ingresses = new Map<string, Serve>([
    ['POST /v1/chat/completions', through(chatOperation(openAIChat))],
    ['POST /v1/embeddings', through(embeddingsOperation(openAIEmbeddings))],
    ['POST /v1/responses', through(chatOperation(openAIResponses))],
    ['POST /v1/messages', through(chatOperation(anthropicMessages))],
    ['POST /v1/messages/count_tokens', through(countTokensOperation(anthropicCountTokens))],
  ]);
  const geminiSse = through(chatOperation(geminiDialect(SSE_FRAMING)));
  const geminiArray = through(chatOperation(geminiDialect(ARRAY_FRAMING)));
  /** Gemini names the model in the path: one prefix and suffix test, only for paths the exact map missed. */
  const patterned = (method: string | undefined, path: string, query: string): Serve | undefined => {
    if (method !== 'POST' || !GEMINI_PREFIXES.some((p) => path.startsWith(p))) return undefined;
    if (path.endsWith(':generateContent')) return geminiSse;
    if (!path.endsWith(':streamGenerateContent')) return undefined;
    // Without alt=sse Gemini streams one JSON array.
    return new URLSearchParams(query).get('alt') === 'sse' ? geminiSse : geminiArray;
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const serve = ingresses.get(`${req.method} ${path}`) ?? patterned(req.method, path, q < 0 ? '' : url.slice(q + 1));
    if (urlHasNul(url)) {
      renderError(gw, new InvalidRequestError('The URL contains a NUL character (%00), which no path or parameter accepts.', { code: 'invalid_character' }), res, serve?.error);
      return;
    }
    if (!serve) {
      app(req, res);
      return;
    }
    const ctx = beginRequest(gw, req, res, serve.error);
    if (!ctx) return;
    const ex = new NodeExchange(req, res, gw.env.MAX_BODY_BYTES, identityHeaders(ctx, gw.instanceId));
    if (!gw.tracer.enabled) {
      serve.run(ctx, ex).catch((err) => renderError(gw, err, res, serve.error));
      return;
    }
    // The span ends when the pipeline is done (settled and answered): a stream its client left
    // settles after the connection closed, and the span carries what it was charged.
    startRequestSpan(gw.tracer, ctx, req.method!, path, req.headers);
    void serve
      .run(ctx, ex)
      .catch((err) => renderError(gw, err, res, serve.error))
      .then(() => endRequestSpan(ctx));
  };
}
