import { formatCredits } from '../credits/money.js';
import type { UsageStats, UsageTotals } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';

/** Requests, errors, tokens and spend per time bucket and group, from the request log. */

export const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;
export type Bucket = keyof typeof BUCKET_MS;

/** Group-by dimensions: the SQL for a group's key and its label (fixed text, never user input). */
const GROUPS = {
  model: { key: `COALESCE(r.served_model, r.model_alias, 'unknown')`, label: `COALESCE(r.served_model, r.model_alias, 'unknown')` },
  // 'none': refused before any provider was tried (auth, limits, credits, unknown model).
  provider: { key: `COALESCE(r.provider_id, 'none')`, label: `COALESCE(r.provider_id, 'No provider (refused before upstream)')` },
  user: { key: `COALESCE(r.user_id::text, 'none')`, label: `COALESCE(u.email, r.user_id::text, 'none')` },
} as const;
export type GroupBy = keyof typeof GROUPS;
export const GROUP_BY = ['model', 'provider', 'user'] as const satisfies readonly GroupBy[];

export interface UsageSeriesQuery {
  /** Epoch milliseconds; `from` < `to`. */
  from: number;
  to: number;
  bucket: Bucket;
  groupBy: GroupBy;
  /** Groups past this many fold into "__other__". */
  top: number;
  accountId: string | null;
  userId: string | null;
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

function render(t: Totals): UsageTotals {
  const { costMicros, ...counts } = t;
  return { ...counts, cost: formatCredits(costMicros), costMicros: costMicros.toString() };
}

/** The first bucket's start: `from` rounded down to the bucket size (UTC). */
export const firstBucket = (q: Pick<UsageSeriesQuery, 'from' | 'bucket'>) => Math.floor(q.from / BUCKET_MS[q.bucket]) * BUCKET_MS[q.bucket];

/** Zero-filled series (one point per bucket); groups ranked by spend, then requests. */
export async function usageSeries(db: Queryable, q: UsageSeriesQuery): Promise<UsageStats> {
  const g = GROUPS[q.groupBy];
  const { rows } = await db.query<SeriesRow>(
    `SELECT date_trunc($1, r.started_at, 'UTC') AS bucket, ${g.key} AS key, min(${g.label}) AS label,
            count(*)::text AS requests, count(*) FILTER (WHERE r.status >= 400 OR r.status = 0)::text AS errors,
            COALESCE(sum(r.prompt_tokens), 0)::text AS prompt_tokens, COALESCE(sum(r.completion_tokens), 0)::text AS completion_tokens,
            COALESCE(sum(r.cost), 0)::text AS cost
       FROM requests r LEFT JOIN users u ON u.id = r.user_id
      WHERE r.started_at >= $2 AND r.started_at < $3 AND ($4::uuid IS NULL OR r.account_id = $4) AND ($5::uuid IS NULL OR r.user_id = $5)
      GROUP BY 1, 2`,
    [q.bucket, new Date(q.from).toISOString(), new Date(q.to).toISOString(), q.accountId, q.userId],
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
  const kept = new Set(ranked.slice(0, q.top).map(([key]) => key));
  const groups = ranked.slice(0, q.top).map(([key, v]) => ({ key, label: v.label, ...render(v.t) }));
  if (ranked.length > q.top) {
    const other = emptyTotals();
    for (const row of rows) if (!kept.has(row.key)) add(other, row);
    groups.push({ key: '__other__', label: 'Other', ...render(other) });
  }

  const cells = new Map<string, Totals>();
  for (const row of rows) {
    const id = `${new Date(row.bucket).getTime()}|${kept.has(row.key) ? row.key : '__other__'}`;
    const t = cells.get(id) ?? emptyTotals();
    add(t, row);
    cells.set(id, t);
  }
  const series: UsageStats['series'] = [];
  const step = BUCKET_MS[q.bucket];
  for (let t = firstBucket(q); t < q.to; t += step) {
    const values: Record<string, UsageTotals> = {};
    for (const { key } of groups) {
      const cell = cells.get(`${t}|${key}`);
      if (cell) values[key] = render(cell);
    }
    series.push({ bucket: new Date(t).toISOString(), values });
  }

  return { from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), bucket: q.bucket, groupBy: q.groupBy, totals: render(totals), groups, series };
}

/** One bucket × group of the usage export. */
export interface UsageExportRow extends UsageTotals {
  bucket: string;
  key: string;
  label: string;
}

/**
 * Every bucket × group with traffic, oldest bucket first, groups by key: the usage export. It
 * reads one bucket at a time and at most `pageSize` groups per query, so memory stays bounded
 * however long the range and however many users.
 */
export async function* usageExportPages(db: Queryable, q: Omit<UsageSeriesQuery, 'top'>, pageSize = 1_000): AsyncGenerator<UsageExportRow[]> {
  const g = GROUPS[q.groupBy];
  const step = BUCKET_MS[q.bucket];
  for (let t = firstBucket(q); t < q.to; t += step) {
    const bucket = new Date(t).toISOString();
    let after = '';
    for (;;) {
      const { rows } = await db.query<SeriesRow>(
        `SELECT ${g.key} AS key, min(${g.label}) AS label,
                count(*)::text AS requests, count(*) FILTER (WHERE r.status >= 400 OR r.status = 0)::text AS errors,
                COALESCE(sum(r.prompt_tokens), 0)::text AS prompt_tokens, COALESCE(sum(r.completion_tokens), 0)::text AS completion_tokens,
                COALESCE(sum(r.cost), 0)::text AS cost
           FROM requests r LEFT JOIN users u ON u.id = r.user_id
          WHERE r.started_at >= $1 AND r.started_at < $2 AND ($3::uuid IS NULL OR r.account_id = $3) AND ($4::uuid IS NULL OR r.user_id = $4)
            AND ${g.key} > $5
          GROUP BY 1 ORDER BY 1 LIMIT $6`,
        [new Date(Math.max(t, q.from)).toISOString(), new Date(Math.min(t + step, q.to)).toISOString(), q.accountId, q.userId, after, pageSize],
      );
      if (rows.length) {
        yield rows.map((r) => {
          const totals = emptyTotals();
          add(totals, r);
          return { bucket, key: r.key, label: r.label, ...render(totals) };
        });
      }
      if (rows.length < pageSize) break;
      after = rows.at(-1)!.key;
    }
  }
}
