import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from '../pipeline/context.js';

const CTX = Symbol('tollgate.requestContext');

export function contextOf(res: ServerResponse): RequestContext {
  return (res as ServerResponse & { [CTX]: RequestContext })[CTX];
}

export function maybeContextOf(res: ServerResponse): RequestContext | undefined {
  return (res as ServerResponse & { [CTX]?: RequestContext })[CTX];
}

/** A request id (the gateway's own; the caller's x-request-id echoed as x-client-request-id). */
export function attachContext(req: IncomingMessage, res: ServerResponse): RequestContext {
  const ctx = new RequestContext(req.headers['x-request-id'] as string | undefined);
  (res as ServerResponse & { [CTX]: RequestContext })[CTX] = ctx;
  res.setHeader('x-request-id', ctx.id);
  if (ctx.clientRequestId) res.setHeader('x-client-request-id', ctx.clientRequestId);
  return ctx;
}
