import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { getRequest, listRequests } from '../../usage/request-log.js';
import { BUCKET_MS, firstBucket, GROUP_BY, usageSeries, type Bucket } from '../../usage/usage-series.js';
import { mapDbErrors } from './db-errors.js';
import { clampInt, oneOf, optionalString, time } from '../query.js';

const MAX_BUCKETS = 1_000;

/**
 * What the panel's usage and request pages read:
 * - GET /admin/api/stats/usage?from&to&bucket=hour|day&groupBy=model|provider|user&top&accountId&userId —
 *   requests, tokens and spend per time bucket and group (zero-filled; groups past `top` fold into "other");
 * - GET /admin/api/requests?limit&before&model&provider&userId&accountId&status=ok|error — the request log, newest first;
 * - GET /admin/api/requests/:id — one request with its upstream attempts.
 */
export function statsAdminRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/stats/usage', async (req, res) => {
    const q = req.query;
    const to = time(q.to, 'to', Date.now());
    const from = time(q.from, 'from', to - 7 * BUCKET_MS.day);
    if (from >= to) throw new InvalidRequestError("'from' must be before 'to'.", { param: 'from' });
    const bucket = oneOf<Bucket>(q.bucket, ['hour', 'day'], to - from <= 2 * BUCKET_MS.day ? 'hour' : 'day', 'bucket');
    if ((to - firstBucket({ from, bucket })) / BUCKET_MS[bucket] > MAX_BUCKETS) {
      throw new InvalidRequestError(`At most ${MAX_BUCKETS} ${bucket} buckets; pick a shorter range or a larger bucket.`, { param: 'bucket' });
    }
    const query = {
      from,
      to,
      bucket,
      groupBy: oneOf(q.groupBy, GROUP_BY, 'model', 'groupBy'),
      top: clampInt(q.top, 8, 1, 50),
      accountId: optionalString(q.accountId),
      userId: optionalString(q.userId),
    };
    res.json(await mapDbErrors(() => usageSeries(gw.db, query)));
  });

  r.get('/requests', async (req, res) => {
    const q = req.query;
    const filter = {
      limit: clampInt(q.limit, 50, 1, 500),
      before: q.before !== undefined ? new Date(time(q.before, 'before', Date.now())).toISOString() : null,
      model: optionalString(q.model),
      provider: optionalString(q.provider),
      userId: optionalString(q.userId),
      accountId: optionalString(q.accountId),
      status: oneOf(q.status, ['all', 'ok', 'error'] as const, 'all', 'status'),
    };
    res.json(await mapDbErrors(() => listRequests(gw.db, filter)));
  });

  r.get('/requests/:id', async (req, res) => {
    const request = await mapDbErrors(() => getRequest(gw.db, req.params.id));
    if (!request) throw new NotFoundError(`No request '${req.params.id}'.`, 'request_not_found');
    res.json(request);
  });

  return r;
}
