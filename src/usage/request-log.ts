import { formatCredits } from '../credits/money.js';
import type { RequestDetail, RequestLogPage, RequestRow } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime } from '../store/sql.js';

/** The request log as the admin API shows it: pages newest first, and one request with its attempts. */

const REQUEST_COLUMNS = `r.id, r.model_alias AS model, r.served_model AS "servedModel", r.provider_id AS provider,
  r.upstream_model AS "upstreamModel", r.endpoint, r.stream, r.status, r.error_code AS "errorCode", r.error_message AS "errorMessage",
  r.prompt_tokens AS "promptTokens", r.completion_tokens AS "completionTokens", r.cached_tokens AS "cachedTokens",
  r.reasoning_tokens AS "reasoningTokens", r.usage_estimated AS "usageEstimated", r.cost::text AS "costMicros",
  r.cache_hit AS "cacheHit", r.latency_ms AS "latencyMs", r.upstream_latency_ms AS "upstreamLatencyMs",
  r.account_id AS "accountId", r.user_id AS "userId", u.email AS "userEmail", r.api_key_id AS "apiKeyId",
  k.prefix AS "keyPrefix", k.name AS "keyName", r.tags, ${isoTime('r.started_at')} AS "startedAt"`;
const REQUEST_FROM = `FROM requests r LEFT JOIN users u ON u.id = r.user_id LEFT JOIN api_keys k ON k.id = r.api_key_id`;
const REQUEST_SELECT = `SELECT ${REQUEST_COLUMNS} ${REQUEST_FROM}`;

const withCost = <T extends { costMicros: string }>(r: T) => ({ ...r, cost: formatCredits(BigInt(r.costMicros)) });

/** What the request log can be narrowed to; null (or 'all') leaves a filter off. */
export interface RequestLogFilter {
  /** ISO times: requests that started in [from, to). */
  from: string | null;
  to: string | null;
  /** Matches the requested or the serving model. */
  model: string | null;
  provider: string | null;
  userId: string | null;
  accountId: string | null;
  keyId: string | null;
  /** ok: below 400; error: 400 and up, or abandoned (0); "5xx": that class; a number: that status. */
  status: 'all' | 'ok' | 'error' | `${1 | 2 | 3 | 4 | 5}xx` | number;
  /** Requests carrying every one of these tags. */
  tags: Record<string, string> | null;
  /** A request id, or the start of one. */
  idPrefix: string | null;
}

/** Where a page ends: the last row's start time (to the microsecond) and id, newest first. */
export interface RequestCursor {
  startedAt: string;
  id: string;
}

/** A page's cursor as the API passes it around ("<time>|<id>"); an ISO time alone means "started before it". */
export function encodeCursor(c: RequestCursor): string {
  return `${c.startedAt}|${c.id}`;
}

export function decodeCursor(value: string): RequestCursor | undefined {
  const bar = value.indexOf('|');
  const [time, id] = bar < 0 ? [value, ''] : [value.slice(0, bar), value.slice(bar + 1)];
  return Number.isNaN(Date.parse(time)) ? undefined : { startedAt: time, id };
}

/**
 * Keyset paging newest first: (started_at, id) below the cursor; the filters' parameters are $1–$10.
 * A user or key filter also names the owner's account, so the account's index narrows the scan
 * (migration 0011: the log keeps no index per user or key, which every settlement would pay for).
 */
const PAGE_SQL = `SELECT ${REQUEST_COLUMNS}, to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursorTime" ${REQUEST_FROM}
     WHERE ($1::timestamptz IS NULL OR r.started_at >= $1) AND ($2::timestamptz IS NULL OR r.started_at < $2)
       AND ($3::text IS NULL OR r.model_alias = $3 OR r.served_model = $3) AND ($4::text IS NULL OR r.provider_id = $4)
       AND ($5::uuid IS NULL OR (r.user_id = $5 AND r.account_id = (SELECT account_id FROM users WHERE id = $5)))
       AND ($6::uuid IS NULL OR r.account_id = $6)
       AND ($7::uuid IS NULL OR (r.api_key_id = $7 AND r.account_id = (SELECT ku.account_id FROM api_keys kk JOIN users ku ON ku.id = kk.user_id WHERE kk.id = $7)))
       AND ($8 = 'all' OR ($8 = 'ok' AND r.status > 0 AND r.status < 400) OR ($8 = 'error' AND (r.status >= 400 OR r.status = 0))
            OR r.status::text = $8 OR (r.status >= 100 AND left(r.status::text, 1) || 'xx' = $8))
       AND ($9::jsonb IS NULL OR r.tags @> $9::jsonb) AND ($10::text IS NULL OR starts_with(r.id, $10))
       AND ($11::timestamptz IS NULL OR (r.started_at, r.id) < ($11::timestamptz, $12::text))
     ORDER BY r.started_at DESC, r.id DESC LIMIT $13`;

type PageRow = Omit<RequestRow, 'cost'> & { cursorTime: string };

async function fetchPage(db: Queryable, f: RequestLogFilter, after: RequestCursor | null, limit: number): Promise<{ rows: RequestRow[]; next: RequestCursor | null }> {
  const { rows } = await db.query<PageRow>(PAGE_SQL, [
    f.from, f.to, f.model, f.provider, f.userId, f.accountId, f.keyId, String(f.status), f.tags ? JSON.stringify(f.tags) : null, f.idPrefix,
    after?.startedAt ?? null, after?.id ?? '', limit,
  ]);
  const last = rows.at(-1);
  return {
    rows: rows.map(({ cursorTime: _, ...r }) => withCost(r)),
    next: rows.length === limit && last ? { startedAt: last.cursorTime, id: last.id } : null,
  };
}

/** One page of the request log, newest first; `before` is the previous page's cursor. */
export async function listRequests(db: Queryable, f: RequestLogFilter, page: { limit: number; before: RequestCursor | null }): Promise<RequestLogPage> {
  const { rows, next } = await fetchPage(db, f, page.before, page.limit);
  return { data: rows, nextBefore: next && encodeCursor(next) };
}

/** The whole filtered log, newest first, a page at a time (an export reads it with bounded memory). */
export async function* requestLogPages(db: Queryable, f: RequestLogFilter, pageSize = 1_000): AsyncGenerator<RequestRow[]> {
  let after: RequestCursor | null = null;
  do {
    const page = await fetchPage(db, f, after, pageSize);
    if (page.rows.length) yield page.rows;
    after = page.next;
  } while (after);
}

/**
 * When a request finished: its start plus its latency, both measured by the gateway that served
 * it. The row's finished_at column is when a settler wrote it, later by the settlement stream's
 * batching (or by an outage).
 */
const FINISHED_AT = `(r.started_at + r.latency_ms * interval '1 millisecond')`;

export async function getRequest(db: Queryable, id: string): Promise<RequestDetail | undefined> {
  const { rows } = await db.query<Omit<RequestDetail, 'cost'>>(
    `SELECT q.*, r.attempts, r.hold_amount::text AS "holdMicros", r.max_tokens_clamped AS "maxTokensClamped", ${isoTime(FINISHED_AT)} AS "finishedAt"
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
            cost::text AS cost_microcredits, cache_hit, latency_ms, attempts, tags, started_at, ${FINISHED_AT} AS finished_at
       FROM requests r WHERE id = $1 AND account_id = $2`,
    [id, accountId],
  );
  const row = rows[0];
  return row && { ...row, cost: formatCredits(BigInt(row.cost_microcredits as string)) };
}
