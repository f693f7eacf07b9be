import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { settleRequest } from '../credits/metering.js';
import { ZERO } from '../credits/money.js';
import type { Gateway } from '../gateway.js';
import { maybeContextOf } from './context.js';
import { sendJsonText } from './respond.js';
import { GatewayError, InvalidRequestError, isInternal, NotFoundError, PayloadTooLargeError, toGatewayError } from '../errors.js';
import { errorHeaders, httpStatusOf, openAIErrorBody } from './errors.js';

/** Express reports its own parse failures with a status; keep them in the OpenAI shape too. */
function fromExpress(err: unknown): GatewayError | undefined {
  const e = err as { status?: number; type?: string; limit?: number };
  if (e && e.type === 'entity.too.large') return new PayloadTooLargeError(e.limit ?? 0);
  if (e && e.type === 'entity.parse.failed') return new InvalidRequestError('We could not parse the JSON body of your request.', { code: 'invalid_json' });
  return undefined;
}

/** Express's error middleware: hands every error to renderError. */
export function errorMiddleware(gw: Gateway) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): Promise<void> => renderError(gw, err, res);
}

/** The only place errors become responses: the OpenAI error shape, with the error's headers. */
export async function renderError(gw: Gateway, err: unknown, res: ServerResponse): Promise<void> {
  const log = gw.log;
  const e = fromExpress(err) ?? toGatewayError(err);
  const ctx = maybeContextOf(res);
  const status = httpStatusOf(e);
  if (ctx) {
    ctx.status = status;
    ctx.errorCode = e.code ?? e.kind;
  }
  if (isInternal(e)) {
    log.error({ err: (e.cause as Error) ?? e, reqId: ctx?.id }, 'internal error');
  }
  // A failed request is settled like any other: its hold is released, nothing is charged,
  // and it is recorded; a failed Idempotency-Key request releases its key for a retry.
  if (ctx?.principal && !ctx.settled) {
    const idem = ctx.idempotency ? { key: ctx.idempotency.key, ok: false, status, body: '', headers: {}, retentionMs: 0 } : undefined;
    await settleRequest(gw, ctx, ZERO, idem).catch((settleErr) => log.error({ err: settleErr, reqId: ctx.id }, 'could not settle a failed request'));
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJsonText(res, status, JSON.stringify(openAIErrorBody(e)), ctx ? { ...ctx.responseHeaders, ...errorHeaders(e) } : errorHeaders(e));
}

export function notFoundHandler(req: Request, _res: Response, next: NextFunction): void {
  next(new NotFoundError(`Unknown route: ${req.method} ${req.path}`, 'unknown_route'));
}
