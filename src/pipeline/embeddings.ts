import type { EmbeddingsRequest } from '../canonical/index.js';
import { countTokens } from '../credits/estimate.js';
import { InvalidRequestError } from '../errors.js';
import { adapterFor } from '../providers/registry.js';
import { resolveEmbeddingsRoute } from '../routing/route.js';
import { sendEmbeddings } from '../upstream/call.js';
import { costOfRequest, servedBy } from './credits.js';
import type { EmbeddingsDialect } from './dialect.js';
import { jsonAnswer, type Operation } from './operation.js';
import { callUpstream } from './upstream.js';

/** Tokens of the input can be no more than its bytes (or its token ids). */
function inputUpperBound(req: EmbeddingsRequest): number {
  if (req.tokenInput) return req.tokenInput.flat().length + 8;
  return req.input.reduce((n, s) => n + Buffer.byteLength(s), 0) + 8 * req.input.length;
}

const tokenEstimate = (req: EmbeddingsRequest) => Math.ceil(inputUpperBound(req) / 4);

/** Embeddings, spoken in `dialect`: never streamed or cached; the hold covers the input alone. */
export function embeddingsOperation(dialect: EmbeddingsDialect): Operation<EmbeddingsRequest> {
  return {
    endpoint: dialect.endpoint,
    parse: (body, path) => dialect.parse(body, path),
    model: (req) => req.model,
    stream: () => false,
    route: (catalogue, req) => {
      const route = resolveEmbeddingsRoute(catalogue, req);
      if (!adapterFor(route.deployments[0]!.provider.kind).embeddings) {
        throw new InvalidRequestError(`The provider behind '${req.model}' has no embeddings API.`, { param: 'model' });
      }
      return route;
    },
    tokenEstimate,
    holdNeeds: (req) => ({ promptUpperBound: inputUpperBound(req), maxTokensPerChoice: 0, choices: 1 }),
    serve: async (gw, ctx, ex, req, route) => {
      const { value: resp, target } = await callUpstream(gw, ctx, route, tokenEstimate(req), ex.abort, (t, th, cancel) => sendEmbeddings(gw.transport, t, req, cancel, th));
      if (resp.usage.promptTokens === 0 && req.input.length > 0) {
        resp.usage = { promptTokens: await countTokens(req.input.join('\n')), estimated: true };
      }
      servedBy(gw, ctx, target.model);
      ctx.span.set('gen_ai.response.model', resp.model || undefined);
      ctx.usage = { promptTokens: resp.usage.promptTokens, completionTokens: 0, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: resp.usage.estimated };
      const body = dialect.response(resp, req, target.model.upstreamModel);
      const cost = costOfRequest(ctx, ctx.usage);
      const served = { 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id };
      return jsonAnswer(ex, [ctx.responseHeaders, served], body, cost);
    },
    error: (err) => dialect.error(err),
  };
}
