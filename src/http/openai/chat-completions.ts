import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import type { RouteHandler } from '../route-handler.js';
import { extractBearer } from '../../auth/api-keys.js';
import { promptUpperBound, tokenBudgetEstimate } from '../../credits/estimate.js';
import { admitRequest } from '../../limits/steps.js';
import { holdCredits } from '../../credits/metering.js';
import type { Gateway } from '../../gateway.js';
import { resolveChatRoute } from '../../routing/route.js';
import { readJsonBody } from '../body.js';
import { parseTags } from '../tags.js';
import { contextOf } from '../context.js';
import { serveChat } from './chat-complete.js';
import { serveChatStream } from './chat-stream.js';
import { answerFromCache } from './cached.js';
import { answerFromIdempotencyKey } from './idempotent.js';
import { parseChatCompletionRequest } from './parse-chat.js';

/**
 * POST /v1/chat/completions — the request path of DESIGN §1, one step per line. Authentication
 * runs before schema validation so an anonymous caller never costs more than a bounded read.
 * Whatever happens after authentication, the request is settled exactly once (on success in the
 * serve functions, on failure by the error middleware).
 */
export function chatCompletions(gw: Gateway): RouteHandler {
  return async (req: Request, res: Response) => {
    const ctx = contextOf(res);
    ctx.endpoint = 'chat.completions';
    const body = await readJsonBody(req, gw.env.MAX_BODY_BYTES); //            400 / 413
    ctx.principal = await gw.auth.authenticate(extractBearer(req.headers.authorization, req.headers['x-api-key'])); // 401 / 403
    const chat = parseChatCompletionRequest(body); //                          400
    ctx.tags = parseTags(req);
    ctx.modelAlias = chat.model;
    ctx.stream = chat.stream;
    const route = resolveChatRoute(gw.config.current, chat); //                404 / 400
    await admitRequest(gw, ctx, { tokens: tokenBudgetEstimate(chat), stream: chat.stream }); // 429
    if (await answerFromCache(gw, ctx, route, chat, req, res)) return; //      cache hit
    if (await answerFromIdempotencyKey(gw, ctx, req, res, body, chat.stream)) return; // 409 / replay
    const clamp = await holdCredits(gw, ctx, route, {
      promptUpperBound: promptUpperBound(chat),
      maxTokensPerChoice: chat.params.maxTokens ?? route.deployments[0]!.model.maxOutputTokens,
      choices: chat.params.n ?? 1,
    }); //                                                                     402
    if (clamp !== undefined) {
      chat.params.maxTokens = clamp;
      res.setHeader('x-tollgate-max-tokens-clamped', String(clamp));
    }
    if (chat.stream) await serveChatStream(gw, ctx, route, chat, res);
    else await serveChat(gw, ctx, route, chat, res);
  };
}
