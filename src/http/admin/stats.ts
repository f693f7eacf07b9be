import { Router } from 'express';
import { formatCredits } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;
type Bucket = keyof typeof BUCKET_MS;
const MAX_BUCKETS = 1_000;

/** Group-by dimensions: the SQL for a group's key and its label (fixed text, never user input). */
const GROUPS = {
  model: { key: `COALESCE(r.served_model, r.model_alias, 'unknown')`, label: `COALESCE(r.served_model, r.model_alias, 'unknown')` },
  provider: { key: `COALESCE(r.provider_id, 'none')`, label: `COALESCE(r.provider_id, 'none')` },
  user: { key: `COALESCE(r.user_id::text, 'none')`, label: `COALESCE(u.email, r.user_id::text, 'none')` },
} as const;
type GroupBy = keyof typeof GROUPS;

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, param: string): T {
  if (value === undefined || value === '') return fallback;
  if (!allowed.includes(value as T)) throw new InvalidRequestError(`'${param}' must be one of ${allowed.join(', ')}.`, { param });
  return value as T;
}

function time(value: unknown, param: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const t = new Date(String(value)).getTime();
  if (Number.isNaN(t)) throw new InvalidRequestError(`'${param}' must be an ISO 8601 time.`, { param });
  return t;
}

function optionalUuid(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

interface SeriesRow {
  bucket: Date;
  key: string;
  label: string;
  requests: string;
  errors: string;
  prompt_tokens: string;
  completion_tokens: string;
  cost: string;
}

interface Totals {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: bigint;
}

const emptyTotals = (): Totals => ({ requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, costMicros: 0n });

function add(t: Totals, r: SeriesRow): void {
  t.requests += Number(r.requests);
  t.errors += Number(r.errors);
  t.promptTokens += Number(r.prompt_tokens);
  t.completionTokens += Number(r.completion_tokens);
  t.costMicros += BigInt(r.cost);
}

function render(t: Totals) {
  const { costMicros, ...counts } = t;
  return { ...counts, cost: formatCredits(costMicros), costMicros: costMicros.toString() };
}

const REQUEST_SELECT = `SELECT r.id, r.model_alias AS model, r.served_model AS "servedModel", r.provider_id AS provider,
  r.upstream_model AS "upstreamModel", r.endpoint, r.stream, r.status, r.error_code AS "errorCode",
  r.prompt_tokens AS "promptTokens", r.completion_tokens AS "completionTokens", r.cached_tokens AS "cachedTokens",
  r.reasoning_tokens AS "reasoningTokens", r.usage_estimated AS "usageEstimated", r.cost::text AS "costMicros",
  r.cache_hit AS "cacheHit", r.latency_ms AS "latencyMs", r.upstream_latency_ms AS "upstreamLatencyMs",
  r.account_id AS "accountId", r.user_id AS "userId", u.email AS "userEmail", r.api_key_id AS "apiKeyId",
  k.prefix AS "keyPrefix", k.name AS "keyName", r.tags, r.started_at AS "startedAt"
  FROM requests r LEFT JOIN users u ON u.id = r.user_id LEFT JOIN api_keys k ON k.id = r.api_key_id`;

const withCost = <T extends { costMicros: string }>(r: T) => ({ ...r, cost: formatCredits(BigInt(r.costMicros)) });

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
    const groupBy = oneOf<GroupBy>(q.groupBy, ['model', 'provider', 'user'], 'model', 'groupBy');
    const top = Math.min(Math.max(Number(q.top ?? 8) || 8, 1), 50);
    const step = BUCKET_MS[bucket];
    const first = Math.floor(from / step) * step;
    if ((to - first) / step > MAX_BUCKETS) throw new InvalidRequestError(`At most ${MAX_BUCKETS} ${bucket} buckets; pick a shorter range or a larger bucket.`, { param: 'bucket' });

    const g = GROUPS[groupBy];
    const { rows } = await mapDbErrors(() =>
      gw.db.query<SeriesRow>(
        `SELECT date_trunc($1, r.started_at, 'UTC') AS bucket, ${g.key} AS key, min(${g.label}) AS label,
                count(*)::text AS requests, count(*) FILTER (WHERE r.status >= 400 OR r.status = 0)::text AS errors,
                COALESCE(sum(r.prompt_tokens), 0)::text AS prompt_tokens, COALESCE(sum(r.completion_tokens), 0)::text AS completion_tokens,
                COALESCE(sum(r.cost), 0)::text AS cost
           FROM requests r LEFT JOIN users u ON u.id = r.user_id
          WHERE r.started_at >= $2 AND r.started_at < $3 AND ($4::uuid IS NULL OR r.account_id = $4) AND ($5::uuid IS NULL OR r.user_id = $5)
          GROUP BY 1, 2`,
        [bucket, new Date(from).toISOString(), new Date(to).toISOString(), optionalUuid(q.accountId), optionalUuid(q.userId)],
      ),
    );

    const totals = emptyTotals();
    const byGroup = new Map<string, { label: string; t: Totals }>();
    for (const row of rows) {
      add(totals, row);
      const entry = byGroup.get(row.key) ?? { label: row.label, t: emptyTotals() };
      add(entry.t, row);
      byGroup.set(row.key, entry);
    }
    const ranked = [...byGroup.entries()].sort(([, a], [, b]) => (b.t.costMicros > a.t.costMicros ? 1 : b.t.costMicros < a.t.costMicros ? -1 : b.t.requests - a.t.requests));
    const kept = new Set(ranked.slice(0, top).map(([key]) => key));
    const groups = ranked.slice(0, top).map(([key, v]) => ({ key, label: v.label, ...render(v.t) }));
    if (ranked.length > top) {
      const other = emptyTotals();
      for (const row of rows) if (!kept.has(row.key)) add(other, row);
      groups.push({ key: '__other__', label: 'Other', ...render(other) });
    }

    // Zero-filled series: one point per bucket, with a value per group.
    const cells = new Map<string, Totals>();
    for (const row of rows) {
      const id = `${new Date(row.bucket).getTime()}|${kept.has(row.key) ? row.key : '__other__'}`;
      const t = cells.get(id) ?? emptyTotals();
      add(t, row);
      cells.set(id, t);
    }
    const series = [];
    for (let t = first; t < to; t += step) {
      const values: Record<string, ReturnType<typeof render>> = {};
      for (const { key } of groups) {
        const cell = cells.get(`${t}|${key}`);
        if (cell) values[key] = render(cell);
      }
      series.push({ bucket: new Date(t).toISOString(), values });
    }

    res.json({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket, groupBy, totals: render(totals), groups, series });
  });

  r.get('/requests', async (req, res) => {
    const q = req.query;
    const limit = Math.min(Math.max(Number(q.limit ?? 50) || 50, 1), 500);
    const before = q.before !== undefined ? new Date(time(q.before, 'before', Date.now())).toISOString() : null;
    const status = oneOf(q.status, ['all', 'ok', 'error'], 'all', 'status');
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
    const { rows } = await mapDbErrors(() =>
      gw.db.query<{ costMicros: string; startedAt: Date }>(
        `${REQUEST_SELECT}
          WHERE ($1::timestamptz IS NULL OR r.started_at < $1) AND ($2::text IS NULL OR r.model_alias = $2 OR r.served_model = $2)
            AND ($3::text IS NULL OR r.provider_id = $3) AND ($4::uuid IS NULL OR r.user_id = $4) AND ($5::uuid IS NULL OR r.account_id = $5)
            AND ($6 = 'all' OR ($6 = 'error') = (r.status >= 400 OR r.status = 0))
          ORDER BY r.started_at DESC LIMIT ${limit}`,
        [before, str(q.model), str(q.provider), optionalUuid(q.userId), optionalUuid(q.accountId), status],
      ),
    );
    const last = rows.at(-1);
    res.json({ data: rows.map(withCost), nextBefore: rows.length === limit && last ? new Date(last.startedAt).toISOString() : null });
  });

  r.get('/requests/:id', async (req, res) => {
    const { rows } = await gw.db.query<{ costMicros: string }>(
      `SELECT q.*, r.attempts, r.hold_amount::text AS "holdMicros", r.max_tokens_clamped AS "maxTokensClamped", r.finished_at AS "finishedAt"
         FROM (${REQUEST_SELECT} WHERE r.id = $1) q JOIN requests r ON r.id = q.id`,
      [req.params.id],
    );
    if (!rows[0]) throw new NotFoundError(`No request '${req.params.id}'.`, 'request_not_found');
    res.json(withCost(rows[0]));
  });

  return r;
}
