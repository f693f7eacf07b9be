import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Gateway } from '../gateway.js';
import { renderError } from './error-middleware.js';
import { beginRequest } from './lifecycle.js';
import { chatCompletions } from './openai/chat-completions.js';
import { embeddings } from './openai/embeddings.js';
import type { RouteHandler } from './route-handler.js';

/**
 * The server's request listener. The two hot routes are dispatched here directly — express's
 * router costs as much CPU per request as a whole proxy hop (measured: bench/passthrough.ts) —
 * and everything else goes to the express app.
 */
export function createRequestListener(gw: Gateway, app: Express): RequestListener {
  const hot = new Map<string, RouteHandler>([
    ['POST /v1/chat/completions', chatCompletions(gw)],
    ['POST /v1/embeddings', embeddings(gw)],
  ]);
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const handler = hot.get(`${req.method} ${q < 0 ? url : url.slice(0, q)}`);
    if (!handler) {
      app(req, res);
      return;
    }
    if (!beginRequest(gw, req, res)) return;
    handler(req, res).catch((err) => renderError(gw, err, res));
  };
}
