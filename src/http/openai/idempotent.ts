import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import type { Gateway } from '../../gateway.js';
import { checkIdempotencyKey, claimIdempotencyKey } from '../../credits/idempotency.js';
import type { IdempotencyOutcome } from '../../credits/service.js';
import { canonicalHash } from '../../util/canonical-json.js';
import type { RequestContext } from '../context.js';
import { SSE_HEADERS } from './sse-writer.js';
import { sendJsonText } from '../respond.js';

/**
 * The Idempotency-Key step. Returns true when the request was answered from a stored response
 * (the handler stops there); otherwise the key, if any, is claimed for this request.
 */
export async function answerFromIdempotencyKey(gw: Gateway, ctx: RequestContext, req: Request, res: Response, body: unknown, stream: boolean): Promise<boolean> {
  const header = req.headers['idempotency-key'];
  if (typeof header !== 'string') return false;
  const key = checkIdempotencyKey(header);
  const hash = canonicalHash({ path: (req.url ?? '').split('?')[0], body });
  const claim = await claimIdempotencyKey(gw.db, {
    accountId: ctx.principal!.accountId,
    key,
    hash,
    requestId: ctx.id,
    stream,
    runningTtlMs: gw.env.SHUTDOWN_DEADLINE_MS + 10 * 60_000,
  });
  if (claim.kind === 'claimed') {
    ctx.idempotency = { key, hash };
    return false;
  }
  // A replay costs nothing and is not a new request: no hold, no ledger entry, no request row.
  ctx.settled = true;
  res.setHeader('idempotent-replayed', 'true');
  // This request has no record of its own: name the one that does (GET /v1/requests/{id}).
  res.setHeader('x-tollgate-original-request-id', claim.requestId);
  for (const [k, v] of Object.entries(claim.headers)) res.setHeader(k, v);
  if (claim.stream) {
    res.writeHead(claim.status, SSE_HEADERS);
    res.end(claim.body);
  } else {
    sendJsonText(res, claim.status, claim.body);
  }
  return true;
}

/** What to store for a key: the answer as sent (success), or a release of the key (failure). */
export function idempotencyOutcome(gw: Gateway, ctx: RequestContext, ok: boolean, body = '', headers: Record<string, string> = {}): IdempotencyOutcome | undefined {
  if (!ctx.idempotency) return undefined;
  return { key: ctx.idempotency.key, ok, status: 200, body, headers, retentionMs: gw.env.IDEMPOTENCY_RETENTION_SECONDS * 1000 };
}
