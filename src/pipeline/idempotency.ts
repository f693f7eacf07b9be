import { checkIdempotencyKey, claimIdempotencyKey } from '../credits/idempotency.js';
import type { Gateway } from '../gateway.js';
import { canonicalHash } from '../util/canonical-json.js';
import type { RequestContext } from './context.js';
import type { Exchange } from './exchange.js';

/**
 * The Idempotency-Key step, before the cache and before any hold: a repeat is answered from the
 * first request's stored answer (true: the request is done), never charged and never recorded
 * again; otherwise the key, if any, is claimed for this request. 409 while the first still runs,
 * 422 when the key was used with another body.
 */
export async function replayIdempotent(gw: Gateway, ctx: RequestContext, ex: Exchange, body: unknown): Promise<boolean> {
  const header = ex.headers['idempotency-key'];
  if (typeof header !== 'string') return false;
  const key = checkIdempotencyKey(header);
  const hash = canonicalHash({ path: ex.path, query: ex.query, body });
  const claim = await claimIdempotencyKey(gw.db, {
    accountId: ctx.principal!.accountId,
    key,
    hash,
    requestId: ctx.id,
    stream: ctx.stream,
    runningTtlMs: gw.env.SHUTDOWN_DEADLINE_MS + 10 * 60_000,
  }, () => gw.credits.settledUpToNow());
  if (claim.kind === 'claimed') {
    ctx.idempotency = { key, hash };
    return false;
  }
  // A replay is not a new request: no hold, no ledger entry, no request row of its own. It names
  // the request that has one (GET /v1/requests/{id}).
  ctx.settled = true;
  ex.send(claim.status, [claim.headers, { 'idempotent-replayed': 'true', 'x-tollgate-original-request-id': claim.requestId }], claim.body, claim.stream ? 'sse' : 'json');
  return true;
}
