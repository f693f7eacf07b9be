import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from '../pipeline/context.js';
import type { HeaderSet } from '../pipeline/exchange.js';

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
  return ctx;
}

/**
 * What every API answer carries about its request: the gateway's request id, the caller's own
 * (echoed as x-client-request-id), and which replica answered (INSTANCE_ID: a name, no secret).
 * The ingress routes send them with the answer's other headers (http/exchange.ts); express
 * routes set them on the response up front (setIdentityHeaders).
 */
export function identityHeaders(ctx: RequestContext, instanceId: string): HeaderSet {
  const h: Record<string, string> = { 'x-request-id': ctx.id };
  if (ctx.clientRequestId) h['x-client-request-id'] = ctx.clientRequestId;
  h['x-tollgate-instance'] = instanceId;
  return h;
}

export function setIdentityHeaders(res: ServerResponse, ctx: RequestContext, instanceId: string): void {
  const h = identityHeaders(ctx, instanceId);
  for (const k in h) res.setHeader(k, h[k]!);
}
