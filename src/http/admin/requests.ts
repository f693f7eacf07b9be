import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import type { RequestRow } from '../../sdk/admin-api/index.js';
import { decodeCursor, getRequest, listRequests, requestLogPages, type RequestLogFilter } from '../../usage/request-log.js';
import { tagFilter } from '../account/usage-query.js';
import { clampInt, optionalString, time } from '../query.js';
import { sendCsv, type CsvColumn } from './csv.js';
import { mapDbErrors } from './db-errors.js';

const STATUS = /^(all|ok|error|[0-9]{3})$/;

/** The request log's filters from a query string; a bad one is a 400 naming it. */
export function readRequestFilter(q: Record<string, unknown>): RequestLogFilter {
  const status = q.status === undefined || q.status === '' ? 'all' : String(q.status);
  if (!STATUS.test(status)) throw new InvalidRequestError("'status' must be all, ok, error or an HTTP status such as 429.", { param: 'status' });
  const iso = (v: unknown, param: string) => (v === undefined || v === '' ? null : new Date(time(v, param, 0)).toISOString());
  return {
    from: iso(q.from, 'from'),
    to: iso(q.to, 'to'),
    model: optionalString(q.model),
    provider: optionalString(q.provider),
    userId: optionalString(q.userId),
    accountId: optionalString(q.accountId),
    keyId: optionalString(q.keyId),
    status: /^[0-9]{3}$/.test(status) ? Number(status) : (status as 'all' | 'ok' | 'error'),
    tags: tagFilter(q.tag),
    idPrefix: optionalString(q.q)?.trim() || null,
  };
}

const REQUEST_CSV: CsvColumn<RequestRow>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'started_at', value: (r) => r.startedAt },
  { header: 'user_email', value: (r) => r.userEmail, text: true },
  { header: 'user_id', value: (r) => r.userId },
  { header: 'account_id', value: (r) => r.accountId },
  { header: 'key_prefix', value: (r) => r.keyPrefix },
  { header: 'key_name', value: (r) => r.keyName, text: true },
  { header: 'endpoint', value: (r) => r.endpoint },
  { header: 'model', value: (r) => r.model, text: true },
  { header: 'served_model', value: (r) => r.servedModel },
  { header: 'provider', value: (r) => r.provider },
  { header: 'upstream_model', value: (r) => r.upstreamModel },
  { header: 'stream', value: (r) => r.stream },
  { header: 'status', value: (r) => r.status },
  { header: 'error_code', value: (r) => r.errorCode },
  { header: 'error_message', value: (r) => r.errorMessage, text: true },
  { header: 'prompt_tokens', value: (r) => r.promptTokens },
  { header: 'completion_tokens', value: (r) => r.completionTokens },
  { header: 'cached_tokens', value: (r) => r.cachedTokens },
  { header: 'reasoning_tokens', value: (r) => r.reasoningTokens },
  { header: 'usage_estimated', value: (r) => r.usageEstimated },
  { header: 'cost_credits', value: (r) => r.cost },
  { header: 'cache_hit', value: (r) => r.cacheHit },
  { header: 'latency_ms', value: (r) => r.latencyMs },
  { header: 'upstream_latency_ms', value: (r) => r.upstreamLatencyMs },
  { header: 'tags', value: (r) => (r.tags ? JSON.stringify(r.tags) : null), text: true },
];

/** "2026-03-01T10:00:00.000Z" → "20260301T100000Z", for file names. */
export const fileTime = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+/, '');

/**
 * The request log:
 * - GET /admin/api/requests?limit&before&from&to&userId&accountId&keyId&model&provider&status&tag&q — newest first,
 *   `before` is a page's `nextBefore`; status is ok, error or one HTTP status; tag is key:value (repeatable); q a request id or its start;
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
