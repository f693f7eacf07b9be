import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { REQUEST_CSV_COLUMNS, type RequestRow } from '../../sdk/admin-api/index.js';
import { decodeCursor, getRequest, listRequests, requestLogPages, type RequestLogFilter } from '../../usage/request-log.js';
import { tagFilter } from '../account/usage-query.js';
import { clampInt, optionalString, time } from '../query.js';
import { csvColumns, fileTime, sendCsv } from './csv.js';
import { mapDbErrors } from './db-errors.js';

const STATUS = /^(all|ok|error|[0-9]{3}|[1-5]xx)$/;

/** The request log's filters from a query string; a bad one is a 400 naming it. */
export function readRequestFilter(q: Record<string, unknown>): RequestLogFilter {
  const status = q.status === undefined || q.status === '' ? 'all' : String(q.status);
  if (!STATUS.test(status)) throw new InvalidRequestError("'status' must be all, ok, error, an HTTP status such as 429, or a class such as 5xx.", { param: 'status' });
  const iso = (v: unknown, param: string) => (v === undefined || v === '' ? null : new Date(time(v, param, 0)).toISOString());
  return {
    from: iso(q.from, 'from'),
    to: iso(q.to, 'to'),
    model: optionalString(q.model),
    provider: optionalString(q.provider),
    userId: optionalString(q.userId),
    accountId: optionalString(q.accountId),
    keyId: optionalString(q.keyId),
    status: /^[0-9]{3}$/.test(status) ? Number(status) : (status as RequestLogFilter['status'] & string),
    tags: tagFilter(q.tag),
    idPrefix: optionalString(q.q)?.trim() || null,
  };
}

const REQUEST_CSV = csvColumns<RequestRow, (typeof REQUEST_CSV_COLUMNS)[number]>(
  REQUEST_CSV_COLUMNS,
  {
    id: (r) => r.id,
    started_at: (r) => r.startedAt,
    user_email: (r) => r.userEmail,
    user_id: (r) => r.userId,
    account_id: (r) => r.accountId,
    key_prefix: (r) => r.keyPrefix,
    key_name: (r) => r.keyName,
    endpoint: (r) => r.endpoint,
    model: (r) => r.model,
    served_model: (r) => r.servedModel,
    provider: (r) => r.provider,
    upstream_model: (r) => r.upstreamModel,
    stream: (r) => r.stream,
    status: (r) => r.status,
    error_code: (r) => r.errorCode,
    error_message: (r) => r.errorMessage,
    prompt_tokens: (r) => r.promptTokens,
    completion_tokens: (r) => r.completionTokens,
    cached_tokens: (r) => r.cachedTokens,
    reasoning_tokens: (r) => r.reasoningTokens,
    usage_estimated: (r) => r.usageEstimated,
    cost_credits: (r) => r.cost,
    cache_hit: (r) => r.cacheHit,
    latency_ms: (r) => r.latencyMs,
    upstream_latency_ms: (r) => r.upstreamLatencyMs,
    tags: (r) => (r.tags ? JSON.stringify(r.tags) : null),
  },
  ['user_email', 'key_name', 'model', 'error_message', 'tags'],
);

/**
 * The request log:
 * - GET /admin/api/requests?limit&before&from&to&userId&accountId&keyId&model&provider&status&tag&q — newest first,
 *   `before` is a page's `nextBefore`; status is ok, error, one HTTP status or a class (5xx); tag is key:value (repeatable); q a request id or its start;
 * - GET /admin/api/requests.csv?(the same filters) — every matching request as CSV, streamed;
 * - GET /admin/api/requests/:id — one request with its upstream attempts.
 */
export function requestLogRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/requests', async (req, res) => {
    const filter = readRequestFilter(req.query);
    const raw = optionalString(req.query.before);
    const before = raw === null ? null : decodeCursor(raw);
    if (before === undefined) throw new InvalidRequestError("'before' must be a page's nextBefore or an ISO 8601 time.", { param: 'before' });
    res.json(await mapDbErrors(() => listRequests(gw.db, filter, { limit: clampInt(req.query.limit, 50, 1, 500), before })));
  });

  r.get('/requests.csv', async (req, res) => {
    const filter = readRequestFilter(req.query);
    await sendCsv(res, `requests-${fileTime(new Date().toISOString())}.csv`, REQUEST_CSV, requestLogPages(gw.db, filter));
  });

  r.get('/requests/:id', async (req, res) => {
    const request = await mapDbErrors(() => getRequest(gw.db, req.params.id));
    if (!request) throw new NotFoundError(`No request '${req.params.id}'.`, 'request_not_found');
    res.json(request);
  });

  return r;
}
