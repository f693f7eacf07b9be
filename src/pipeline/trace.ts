import type { IncomingHttpHeaders } from 'node:http';
import { formatCredits } from '../credits/money.js';
import { genAiOperation, providerAttributes, usageAttributes } from '../observability/tracing-genai.js';
import type { Tracer } from '../observability/tracing.js';
import type { RequestContext } from './context.js';

/** Gemini names the model in the path: the span's name uses the route, not the model. */
const MODEL_IN_PATH = /^(\/v1(?:beta)?\/models\/)[^/:]+/;

/**
 * The request's span (kind server), named "{method} {route}": a child of the client's W3C
 * traceparent when it sent one. Only the pipeline's routes are traced (docs/ARCHITECTURE.md,
 * "Tracing"); the query string, which may carry an API key, is never recorded.
 */
export function startRequestSpan(tracer: Tracer, ctx: RequestContext, method: string, path: string, headers: IncomingHttpHeaders): void {
  const route = path.replace(MODEL_IN_PATH, '$1{model}');
  const traceparent = headers.traceparent;
  const tracestate = headers.tracestate;
  ctx.span = tracer.startRequest(`${method} ${route}`, typeof traceparent === 'string' ? traceparent : undefined, typeof tracestate === 'string' ? tracestate : undefined, {
    'http.request.method': method,
    'http.route': route,
    'url.path': path,
    'tollgate.request_id': ctx.id,
    'tollgate.client_request_id': ctx.clientRequestId,
  });
}

/**
 * Ends the request's span with what the request log records: status and error code, the GenAI
 * attributes (operation, models, provider, usage), the cost, the cache outcome and the attempts.
 * Called once, when the pipeline is done with the request (settled and answered).
 */
export function endRequestSpan(ctx: RequestContext): void {
  const span = ctx.span;
  if (!span.recording) {
    span.end();
    return;
  }
  const served = ctx.served;
  span.setAll({
    'http.response.status_code': ctx.status,
    'gen_ai.operation.name': genAiOperation(ctx.endpoint),
    'gen_ai.request.model': ctx.modelAlias,
    'tollgate.endpoint': ctx.endpoint,
    'tollgate.stream': ctx.stream,
    'tollgate.model.served': served?.model.alias ?? ctx.cachedFrom?.model,
    'tollgate.upstream_model': served?.model.upstreamModel ?? ctx.cachedFrom?.upstreamModel,
    'tollgate.attempts': ctx.attempts.length,
    'tollgate.cache': ctx.responseHeaders['x-cache'],
    'tollgate.max_tokens_clamped': ctx.clampedMaxTokens,
    'tollgate.account_id': ctx.principal?.accountId,
    'tollgate.cost': formatCredits(ctx.charged),
    'tollgate.cost_microcredits': Number(ctx.charged),
  });
  if (served) span.setAll(providerAttributes(served.provider.kind, served.provider.id));
  else if (ctx.cachedFrom) span.set('tollgate.provider.id', ctx.cachedFrom.provider);
  if (ctx.usage) span.setAll(usageAttributes(ctx.usage));
  if (ctx.errorCode) {
    span.set('error.type', ctx.errorCode);
    // A server span's status is an error only when the gateway failed (5xx); a 4xx is the client's.
    if (ctx.status >= 500) span.fail(ctx.errorCode);
  }
  span.end();
}
