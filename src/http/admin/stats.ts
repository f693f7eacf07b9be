import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError } from '../../errors.js';
import { BUCKET_MS, firstBucket, GROUP_BY, usageExportPages, usageSeries, type Bucket, type UsageExportRow, type UsageSeriesQuery } from '../../usage/usage-series.js';
import { csvColumns, fileTime, sendCsv } from './csv.js';
import { USAGE_CSV_COLUMNS } from '../../sdk/admin-api/index.js';
import { mapDbErrors } from './db-errors.js';
import { clampInt, oneOf, optionalString, time } from '../query.js';

const MAX_BUCKETS = 1_000;
/** An export reads one bucket at a time; this only stops a typo from scanning centuries. */
const MAX_EXPORT_BUCKETS = 100_000;

/** The usage query (range, bucket, group, scope); more than `maxBuckets` buckets is a 400. */
function readUsageStatsQuery(q: Record<string, unknown>, maxBuckets: number): UsageSeriesQuery {
  const to = time(q.to, 'to', Date.now());
  const from = time(q.from, 'from', to - 7 * BUCKET_MS.day);
  if (from >= to) throw new InvalidRequestError("'from' must be before 'to'.", { param: 'from' });
  const bucket = oneOf<Bucket>(q.bucket, ['hour', 'day'], to - from <= 2 * BUCKET_MS.day ? 'hour' : 'day', 'bucket');
  if ((to - firstBucket({ from, bucket })) / BUCKET_MS[bucket] > maxBuckets) {
    throw new InvalidRequestError(`At most ${maxBuckets} ${bucket} buckets; pick a shorter range or a larger bucket.`, { param: 'bucket' });
  }
  return {
    from,
    to,
    bucket,
    groupBy: oneOf(q.groupBy, GROUP_BY, 'model', 'groupBy'),
    top: clampInt(q.top, 8, 1, 50),
    accountId: optionalString(q.accountId),
    userId: optionalString(q.userId),
  };
}

const USAGE_CSV = csvColumns<UsageExportRow, (typeof USAGE_CSV_COLUMNS)[number]>(
  USAGE_CSV_COLUMNS,
  {
    bucket_start: (r) => r.bucket,
    group: (r) => r.key,
    label: (r) => r.label,
    requests: (r) => r.requests,
    errors: (r) => r.errors,
    prompt_tokens: (r) => r.promptTokens,
    completion_tokens: (r) => r.completionTokens,
    cost_credits: (r) => r.cost,
  },
  ['group', 'label'],
);

/**
 * What the panel's usage page reads:
 * - GET /admin/api/stats/usage?from&to&bucket=hour|day&groupBy=model|provider|user&top&accountId&userId —
 *   requests, tokens and spend per time bucket and group (zero-filled; groups past `top` fold into "other");
 * - GET /admin/api/stats/usage.csv?(the same, without top) — every bucket × group with traffic as CSV, streamed.
 */
export function statsAdminRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/stats/usage', async (req, res) => {
    const query = readUsageStatsQuery(req.query, MAX_BUCKETS);
    res.json(await mapDbErrors(() => usageSeries(gw.db, query)));
  });

  r.get('/stats/usage.csv', async (req, res) => {
    const { top: _, ...query } = readUsageStatsQuery(req.query, MAX_EXPORT_BUCKETS);
    const name = `usage-by-${query.groupBy}-${fileTime(new Date(query.from).toISOString())}-${fileTime(new Date(query.to).toISOString())}.csv`;
    await sendCsv(res, name, USAGE_CSV, usageExportPages(gw.db, query));
  });

  return r;
}
