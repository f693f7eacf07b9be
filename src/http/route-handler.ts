import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A route of the request path. Written against Node's own request and response, so the hot
 * routes can be served without express (see http/listener.ts) and mounted in express all the same.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
