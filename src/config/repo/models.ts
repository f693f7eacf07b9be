import { creditsToMicros } from '../../credits/money.js';
import { InvalidRequestError } from '../../errors.js';
import type { Model, ModelCreate, ModelUpdate, Price, PriceCreate } from '../../sdk/admin-api/index.js';
import type { Queryable } from '../../store/db.js';
import { isoTime, setClause } from '../../store/sql.js';

/** Models and their prices: the one place that writes them (seed and admin API) and the admin API's reads. */

const MODEL_COLUMNS = {
  providerId: 'provider_id',
  upstreamModel: 'upstream_model',
  contextWindow: 'context_window',
  maxOutputTokens: 'max_output_tokens',
  supportsVision: 'supports_vision',
  supportsTools: 'supports_tools',
  supportsJson: 'supports_json',
  enabled: 'enabled',
  fallbacks: 'fallbacks',
  cacheTtlSeconds: 'cache_ttl_seconds',
};

const perMtok = (column: string) => `(${column}::numeric / 1000000)::numeric(24,6)::text`;
const PRICE_JSON = `json_build_object('id', pr.id::text,
  'inputPerMtok', ${perMtok('pr.input_per_mtok')}, 'outputPerMtok', ${perMtok('pr.output_per_mtok')},
  'cachedInputPerMtok', ${perMtok('pr.cached_input_per_mtok')}, 'cacheWritePerMtok', ${perMtok('pr.cache_write_per_mtok')},
  'effectiveFrom', ${isoTime('pr.effective_from')})`;

const MODEL_SELECT = `SELECT m.alias, m.provider_id AS "providerId", p.kind AS "providerKind", m.upstream_model AS "upstreamModel", m.kind,
  m.context_window AS "contextWindow", m.max_output_tokens AS "maxOutputTokens", m.supports_vision AS "supportsVision",
  m.supports_tools AS "supportsTools", m.supports_json AS "supportsJson", m.enabled, m.fallbacks, m.cache_ttl_seconds AS "cacheTtlSeconds",
  ${isoTime('m.created_at')} AS "createdAt", ${isoTime('m.updated_at')} AS "updatedAt",
  (SELECT ${PRICE_JSON} FROM prices pr WHERE pr.model_alias = m.alias AND pr.effective_from <= now() ORDER BY pr.effective_from DESC LIMIT 1) AS price,
  COALESCE((SELECT json_agg(${PRICE_JSON} ORDER BY pr.effective_from DESC) FROM prices pr WHERE pr.model_alias = m.alias), '[]') AS "priceHistory"
  FROM models m JOIN providers p ON p.id = m.provider_id`;

/** Prices arrive as decimal credit strings per 1M tokens and are stored as exact microcredits; cached input and cache writes default to input. */
export async function insertPrice(db: Queryable, alias: string, p: PriceCreate): Promise<void> {
  const input = creditsToMicros(p.inputPerMtok);
  const values = {
    inputPerMtok: input,
    outputPerMtok: creditsToMicros(p.outputPerMtok),
    cachedInputPerMtok: p.cachedInputPerMtok !== undefined ? creditsToMicros(p.cachedInputPerMtok) : input,
    cacheWritePerMtok: p.cacheWritePerMtok !== undefined ? creditsToMicros(p.cacheWritePerMtok) : input,
  };
  for (const [field, v] of Object.entries(values)) {
    if (v < 0n) throw new InvalidRequestError(`'${field}' must not be negative.`, { param: field, code: 'invalid_field' });
  }
  await db.query(
    `INSERT INTO prices (model_alias, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, effective_from)
     VALUES ($1, $2, $3, $4, $5, COALESCE($6::timestamptz, now()))`,
    [alias, ...Object.values(values).map(String), p.effectiveFrom ?? null],
  );
}

/** A model may only fall back to other models that exist. */
async function checkFallbacks(db: Queryable, alias: string, fallbacks: string[] | undefined): Promise<void> {
  if (!fallbacks?.length) return;
  if (fallbacks.includes(alias)) throw new InvalidRequestError('A model cannot fall back to itself.', { param: 'fallbacks', code: 'invalid_field' });
  const { rows } = await db.query<{ alias: string }>('SELECT alias FROM models WHERE alias = ANY($1::text[])', [fallbacks]);
  const known = new Set(rows.map((r) => r.alias));
  const missing = fallbacks.filter((f) => !known.has(f));
  if (missing.length) throw new InvalidRequestError(`Unknown fallback model(s): ${missing.join(', ')}.`, { param: 'fallbacks', code: 'invalid_field' });
}

/** Inserts a model and its first price. Fallbacks are the caller's to check (the seed checks its file as a whole). */
export async function insertModel(db: Queryable, m: ModelCreate): Promise<void> {
  await db.query(
    `INSERT INTO models (alias, provider_id, upstream_model, kind, context_window, max_output_tokens, supports_vision, supports_tools,
                         supports_json, enabled, fallbacks, cache_ttl_seconds)
     VALUES ($1, $2, $3, COALESCE($4, 'chat'), $5, $6, COALESCE($7, false), COALESCE($8, false), COALESCE($9, false),
             COALESCE($10, true), COALESCE($11::text[], '{}'), $12)`,
    [m.alias, m.providerId, m.upstreamModel, m.kind, m.contextWindow, m.maxOutputTokens, m.supportsVision, m.supportsTools, m.supportsJson, m.enabled, m.fallbacks ?? null, m.cacheTtlSeconds ?? null],
  );
  await insertPrice(db, m.alias, m.price);
}

/** Creates a model with its first price; run it in a transaction (the admin API's, with its audit record). */
export async function createModel(db: Queryable, m: ModelCreate): Promise<Model> {
  await checkFallbacks(db, m.alias, m.fallbacks);
  await insertModel(db, m);
  return (await getModel(db, m.alias))!;
}

export async function updateModel(db: Queryable, alias: string, patch: ModelUpdate): Promise<Model | undefined> {
  await checkFallbacks(db, alias, patch.fallbacks);
  const set = setClause(patch, MODEL_COLUMNS, 2);
  const { rowCount } = await db.query(`UPDATE models SET ${set.sql}, updated_at = now() WHERE alias = $1`, [alias, ...set.values]);
  return rowCount ? getModel(db, alias) : undefined;
}

export async function deleteModel(db: Queryable, alias: string): Promise<boolean> {
  return (await db.query('DELETE FROM models WHERE alias = $1', [alias])).rowCount > 0;
}

/** A new price for an existing model; undefined if there is no such model. */
export async function addPrice(db: Queryable, alias: string, p: PriceCreate): Promise<Model | undefined> {
  if (!(await db.query('SELECT 1 FROM models WHERE alias = $1', [alias])).rowCount) return undefined;
  await insertPrice(db, alias, p);
  return getModel(db, alias);
}

export async function listModels(db: Queryable): Promise<Model[]> {
  return (await db.query<Model>(`${MODEL_SELECT} ORDER BY m.alias`)).rows;
}

export async function getModel(db: Queryable, alias: string): Promise<Model | undefined> {
  return (await db.query<Model>(`${MODEL_SELECT} WHERE m.alias = $1`, [alias])).rows[0];
}

/** Price history, newest first. */
export async function listPrices(db: Queryable, alias: string): Promise<Price[]> {
  return (await db.query<{ price: Price }>(`SELECT ${PRICE_JSON} AS price FROM prices pr WHERE pr.model_alias = $1 ORDER BY pr.effective_from DESC`, [alias])).rows.map((r) => r.price);
}
