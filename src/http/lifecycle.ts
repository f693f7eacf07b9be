import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway.js';
import { finishAdmissions } from '../pipeline/limits.js';
import { requestFinished } from '../pipeline/finish.js';
import type { RequestContext } from '../pipeline/context.js';
import { attachContext } from './context.js';
import { renderError } from './error-middleware.js';
import { ServiceUnavailableError, type GatewayError } from '../errors.js';
import type { WireError } from '../pipeline/dialect.js';

/**
 * Sent by our load balancers (deploy/compose/nginx.conf, scripts/load-balancer.ts) with the value
 * `close`: while shutting down, answer such a request by closing the connection instead of with
 * the 503 (see docs/ARCHITECTURE.md, "Load balancing and the drain").
 */
export const DRAIN_HEADER = 'x-tollgate-drain';

/**
 * The start of every API request, on the express routes and the hot routes alike: a request
 * context (its identity headers: http/context.ts), the shutdown gate (a 503 once
 * shutdown began, or a closed connection for our load balancers), in-flight counting, and the
 * end of the request (limits released, one metrics record, one log line). Undefined when refused
 * (in `speak`'s wire format when given: the ingress's dialect).
 */
export function beginRequest(gw: Gateway, req: IncomingMessage, res: ServerResponse, speak?: (e: GatewayError) => WireError): RequestContext | undefined {
  const ctx = attachContext(req, res);
  if (gw.lifecycle.shuttingDown) {
    // Our balancers retry a closed connection on another replica, never a 503 (a provider's 503
    // must not be replayed); this request has done nothing yet, so closing is safe.
    if (req.headers[DRAIN_HEADER] === 'close') {
      req.socket.destroy();
      return undefined;
    }
    res.setHeader('connection', 'close');
    renderError(gw, new ServiceUnavailableError('The gateway is shutting down; retry on another instance.', 'shutting_down', 1), res, speak);
    return undefined;
  }
  gw.lifecycle.inflight++;
  res.once('close', () => {
    gw.lifecycle.inflight--;
    finishAdmissions(ctx);
    if (ctx.endpoint) requestFinished(gw, ctx, req.method ?? '', (req.url ?? '').split('?')[0]!);
  });
  return ctx;
}
