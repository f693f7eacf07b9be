import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import type { RouteHandler } from '../route-handler.js';
import { extractBearer } from '../../auth/api-keys.js';
import type { EmbeddingsRequest } from '../../canonical/index.js';
import { countTokens } from '../../credits/estimate.js';
import { costHeaders, costOfRequest, holdCredits, servedBy, settleRequest } from '../../credits/metering.js';
import type { Gateway } from '../../gateway.js';
import { adapterFor } from '../../providers/registry.js';
import { resolveEmbeddingsRoute } from '../../routing/route.js';
import { sendEmbeddings } from '../../upstream/call.js';
import { readJsonBody } from '../body.js';
import { parseTags } from '../tags.js';
import { clientAbortController, contextOf } from '../context.js';
import { InvalidRequestError } from '../../errors.js';
import { admitRequest } from '../../limits/steps.js';
import { callWithFailover } from '../../upstream/failover.js';
import { answerFromIdempotencyKey, idempotencyOutcome } from './idempotent.js';
import { parseEmbeddingsRequest } from './parse-embeddings.js';
import { renderEmbeddings } from './render.js';
import { sendJsonText } from '../respond.js';

/** Tokens of the input can be no more than its bytes (or its token ids). */
function inputUpperBound(req: EmbeddingsRequest): number {
  if (req.tokenInput) return req.tokenInput.flat().length + 8;
  return req.input.reduce((n, s) => n + Buffer.byteLength(s), 0) + 8 * req.input.length;
}

/** POST /v1/embeddings — the same path as chat: auth, parse, route, hold, upstream, settle. */
export function embeddings(gw: Gateway): RouteHandler {
  return async (req: Request, res: Response) => {
    const ctx = contextOf(res);
    ctx.endpoint = 'embeddings';
    const body = await readJsonBody(req, gw.env.MAX_BODY_BYTES);
    ctx.principal = await gw.auth.authenticate(extractBearer(req.headers.authorization, req.headers['x-api-key']));
    const embReq = parseEmbeddingsRequest(body);
    ctx.tags = parseTags(req);
    ctx.modelAlias = embReq.model;
    const route = resolveEmbeddingsRoute(gw.config.current, embReq);
    const deployment = route.deployments[0]!;
    if (!adapterFor(deployment.provider.kind).embeddings) {
      throw new InvalidRequestError(`The provider behind '${embReq.model}' has no embeddings API.`, { param: 'model' });
    }
    const estTokens = Math.ceil(inputUpperBound(embReq) / 4);
    await admitRequest(gw, ctx, { tokens: estTokens, stream: false });
    if (await answerFromIdempotencyKey(gw, ctx, req, res, body, false)) return;
    await holdCredits(gw, ctx, route, { promptUpperBound: inputUpperBound(embReq), maxTokensPerChoice: 0, choices: 1 });

    const abort = clientAbortController(res);
    const { value: resp, target } = await callWithFailover(gw, ctx, route, estTokens, abort, (t) => sendEmbeddings(gw.transport, t, embReq, abort));
    if (resp.usage.promptTokens === 0 && embReq.input.length > 0) {
      resp.usage = { promptTokens: await countTokens(embReq.input.join('\n')), estimated: true };
    }
    ctx.served = target;
    servedBy(gw, ctx, target.model);
    ctx.usage = { promptTokens: resp.usage.promptTokens, completionTokens: 0, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, estimated: resp.usage.estimated };
    const text = renderEmbeddings(resp, embReq.encodingFormat, target.model.upstreamModel);
    const cost = costOfRequest(ctx, ctx.usage);
    const headers = { ...ctx.responseHeaders, 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id };
    const settlement = await settleRequest(gw, ctx, cost, idempotencyOutcome(gw, ctx, true, text, { ...headers, ...costHeaders(cost, undefined) }));
    sendJsonText(res, 200, text, { ...headers, ...costHeaders(cost, settlement) });
  };
}
