import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Gateway } from '../gateway.js';
import type { WireError } from '../pipeline/dialect.js';
import { GatewayError, InvalidRequestError, isInternal, NotFoundError, PayloadTooLargeError, toGatewayError } from '../errors.js';
import { identityHeaders, maybeContextOf } from './context.js';
import { errorHeaders, httpStatusOf, openAIErrorBody } from './errors.js';
import { sendJsonText } from './exchange.js';

/** Express reports its own parse failures with a status; keep them in the OpenAI shape too. */
function fromExpress(err: unknown): GatewayError | undefined {
  const e = err as { status?: number; type?: string; limit?: number };
  if (e && e.type === 'entity.too.large') return new PayloadTooLargeError(e.limit ?? 0);
  if (e && e.type === 'entity.parse.failed') return new InvalidRequestError('We could not parse the JSON body of your request.', { code: 'invalid_json' });
  // The router's own refusals (a path parameter that is not valid percent-encoded UTF-8).
  if (e && e.status === 400 && err instanceof URIError) return new InvalidRequestError('The URL has a malformed percent-encoding.', { code: 'invalid_path' });
  return undefined;
}

/** Express's error middleware: hands every error to renderError. */
export function errorMiddleware(gw: Gateway) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => renderError(gw, err, res);
}

/**
 * Renders an error of the express routes (and anything that escaped the pipeline) in the OpenAI
 * error shape, with the error's headers, or in `speak`'s wire format (an ingress's dialect, for
 * what is refused before its pipeline starts). Rendering only renders: the pipeline settles its
 * own requests before it answers.
 */
export function renderError(gw: Gateway, err: unknown, res: ServerResponse, speak?: (e: GatewayError) => WireError): void {
  const e = fromExpress(err) ?? toGatewayError(err);
  const ctx = maybeContextOf(res);
  const wire = speak?.(e);
  const status = wire?.status ?? httpStatusOf(e);
  if (ctx) {
    ctx.status = status;
    ctx.errorCode = e.code ?? e.kind;
    ctx.errorMessage = e.message;
  }
  if (isInternal(e)) gw.log.error({ err: (e.cause as Error) ?? e, reqId: ctx?.id }, 'internal error');
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers = (wire ? wire.headers : errorHeaders(e)) ?? {};
  sendJsonText(res, status, wire ? wire.body : JSON.stringify(openAIErrorBody(e)), ctx ? [identityHeaders(ctx, gw.instanceId), ctx.responseHeaders, headers] : [headers]);
}

export function notFoundHandler(req: Request, _res: Response, next: NextFunction): void {
  next(new NotFoundError(`Unknown route: ${req.method} ${req.path}`, 'unknown_route'));
}
