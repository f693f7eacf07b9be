import { formatCredits } from '../credits/money.js';
import type { RequestDetail, RequestLogPage, RequestRow } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime } from '../store/sql.js';

/** The request log as the admin API shows it: pages newest first, and one request with its attempts. */

const REQUEST_SELECT = `SELECT r.id, r.model_alias AS model, r.served_model AS "servedModel", r.provider_id AS provider,
  r.upstream_model AS "upstreamModel", r.endpoint, r.stream, r.status, r.error_code AS "errorCode",
  r.prompt_tokens AS "promptTokens", r.completion_tokens AS "completionTokens", r.cached_tokens AS "cachedTokens",
  r.reasoning_tokens AS "reasoningTokens", r.usage_estimated AS "usageEstimated", r.cost::text AS "costMicros",
  r.cache_hit AS "cacheHit", r.latency_ms AS "latencyMs", r.upstream_latency_ms AS "upstreamLatencyMs",
  r.account_id AS "accountId", r.user_id AS "userId", u.email AS "userEmail", r.api_key_id AS "apiKeyId",
  k.prefix AS "keyPrefix", k.name AS "keyName", r.tags, ${isoTime('r.started_at')} AS "startedAt"
  FROM requests r LEFT JOIN users u ON u.id = r.user_id LEFT JOIN api_keys k ON k.id = r.api_key_id`;

const withCost = <T extends { costMicros: string }>(r: T) => ({ ...r, cost: formatCredits(BigInt(r.costMicros)) });

export interface RequestLogFilter {
  limit: number;
  /** ISO time: requests that started before it (the previous page's `nextBefore`). */
  before: string | null;
  /** Matches the requested or the serving model. */
  model: string | null;
  provider: string | null;
  userId: string | null;
  accountId: string | null;
  status: 'all' | 'ok' | 'error';
}

export async function listRequests(db: Queryable, f: RequestLogFilter): Promise<RequestLogPage> {
  const { rows } = await db.query<Omit<RequestRow, 'cost'>>(
    `${REQUEST_SELECT}
      WHERE ($1::timestamptz IS NULL OR r.started_at < $1) AND ($2::text IS NULL OR r.model_alias = $2 OR r.served_model = $2)
        AND ($3::text IS NULL OR r.provider_id = $3) AND ($4::uuid IS NULL OR r.user_id = $4) AND ($5::uuid IS NULL OR r.account_id = $5)
        AND ($6 = 'all' OR ($6 = 'error') = (r.status >= 400 OR r.status = 0))
      ORDER BY r.started_at DESC LIMIT $7`,
    [f.before, f.model, f.provider, f.userId, f.accountId, f.status, f.limit],
  );
  return { data: rows.map(withCost), nextBefore: rows.length === f.limit ? rows.at(-1)!.startedAt : null };
}

export async function getRequest(db: Queryable, id: string): Promise<RequestDetail | undefined> {
  const { rows } = await db.query<Omit<RequestDetail, 'cost'>>(
    `SELECT q.*, r.attempts, r.hold_amount::text AS "holdMicros", r.max_tokens_clamped AS "maxTokensClamped", ${isoTime('r.finished_at')} AS "finishedAt"
       FROM (${REQUEST_SELECT} WHERE r.id = $1) q JOIN requests r ON r.id = q.id`,
    [id],
  );
  return rows[0] && withCost(rows[0]);
}

/** One request of an account, as its own keys read it (wire names in snake_case, as the OpenAI-style API speaks). */
export async function getAccountRequest(db: Queryable, accountId: string, id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT id, endpoint, model_alias AS model, served_model, provider_id AS provider, stream, status, error_code,
            prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, usage_estimated,
            cost::text AS cost_microcredits, cache_hit, latency_ms, attempts, tags, started_at, finished_at
       FROM requests WHERE id = $1 AND account_id = $2`,
    [id, accountId],
  );
  const row = rows[0];
  return row && { ...row, cost: formatCredits(BigInt(row.cost_microcredits as string)) };
}
