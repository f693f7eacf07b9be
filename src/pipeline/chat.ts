import type { ChatRequest, ChatResponse, Usage } from '../canonical/index.js';
import { estimateUsage, promptUpperBound, tokenBudgetEstimate } from '../credits/estimate.js';
import { chatRequestAttributes, traceResponse } from '../observability/tracing-genai.js';
import type { Gateway } from '../gateway.js';
import { resolveChatRoute, type Route } from '../routing/route.js';
import { sendChat } from '../upstream/call.js';
import { answerFromCache } from './cache.js';
import { streamChat } from './chat-stream.js';
import type { RequestContext } from './context.js';
import { costOfRequest, servedBy } from './credits.js';
import type { ChatDialect } from './dialect.js';
import type { Exchange } from './exchange.js';
import { jsonAnswer, type Operation, type Served } from './operation.js';
import { callUpstream } from './upstream.js';

/** Chat, spoken in `dialect`: streamed or not, cacheable, clamped to what the balance affords. */
export function chatOperation(dialect: ChatDialect): Operation<ChatRequest> {
  return {
    endpoint: dialect.endpoint,
    parse: (body, path, headers) => dialect.parse(body, path, headers),
    model: (chat) => chat.model,
    stream: (chat) => chat.stream,
    route: resolveChatRoute,
    tokenEstimate: tokenBudgetEstimate,
    traceAttributes: chatRequestAttributes,
    holdNeeds: (chat, route) => ({
      promptUpperBound: promptUpperBound(chat),
      maxTokensPerChoice: chat.params.maxTokens ?? route.deployments[0]!.model.maxOutputTokens,
      choices: chat.params.n ?? 1,
    }),
    clampMaxTokens: (chat, maxTokens) => {
      chat.params.maxTokens = maxTokens;
    },
    fromCache: (gw, ctx, ex, chat, route) => answerFromCache(gw, ctx, ex, dialect, chat, route),
    serve: (gw, ctx, ex, chat, route) => (chat.stream ? streamChat(gw, ctx, ex, dialect, chat, route) : completeChat(gw, ctx, ex, dialect, chat, route)),
    error: (err) => dialect.error(err),
  };
}

function generatedText(resp: ChatResponse): string {
  return resp.choices.map((c) => (c.text ?? '') + (c.toolCalls ?? []).map((t) => t.arguments).join('')).join('');
}

/** Not streamed: call upstream, then answer with the cost and balance in headers. */
async function completeChat(gw: Gateway, ctx: RequestContext, ex: Exchange, dialect: ChatDialect, chat: ChatRequest, route: Route): Promise<Served> {
  const { value: resp, target } = await callUpstream(gw, ctx, route, tokenBudgetEstimate(chat), ex.abort, (t, th, cancel) => sendChat(gw.transport, t, chat, cancel, th));
  servedBy(gw, ctx, target.model);
  traceResponse(ctx.span, resp);
  const usage: Usage = resp.usage ?? (await estimateUsage(chat, generatedText(resp)));
  ctx.usage = usage;
  const body = dialect.response(resp, usage, dialect.identity(ctx.id, ctx.startedAt, resp.model || target.model.upstreamModel), chat);
  const cost = costOfRequest(ctx, usage);
  const served = { 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id };
  return {
    ...jsonAnswer(ex, [ctx.responseHeaders, served], body, cost),
    cacheable: { response: resp, usage, servedModel: target.model.alias, provider: target.provider.id, storedAt: Date.now() },
  };
}
