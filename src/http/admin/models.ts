import { Router } from 'express';
import { creditsToMicros } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import type { Queryable } from '../../store/db.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { setClause } from './providers.js';
import { checkBody } from './schemas.js';

interface PriceInput {
  inputPerMtok: string;
  outputPerMtok: string;
  cachedInputPerMtok?: string;
  cacheWritePerMtok?: string;
  effectiveFrom?: string;
}
interface ModelInput {
  alias: string;
  providerId: string;
  upstreamModel: string;
  kind?: 'chat' | 'embedding';
  contextWindow: number;
  maxOutputTokens: number;
  supportsVision?: boolean;
  supportsTools?: boolean;
  supportsJson?: boolean;
  enabled?: boolean;
  fallbacks?: string[];
  cacheTtlSeconds?: number | null;
  price: PriceInput;
}

const MODEL_COLUMNS: Record<string, string> = {
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

const PRICE_JSON = `json_build_object('id', pr.id::text,
  'inputPerMtok', (pr.input_per_mtok::numeric / 1000000)::numeric(24,6)::text, 'outputPerMtok', (pr.output_per_mtok::numeric / 1000000)::numeric(24,6)::text,
  'cachedInputPerMtok', (pr.cached_input_per_mtok::numeric / 1000000)::numeric(24,6)::text, 'cacheWritePerMtok', (pr.cache_write_per_mtok::numeric / 1000000)::numeric(24,6)::text,
  'effectiveFrom', pr.effective_from)`;

const MODEL_SELECT = `SELECT m.alias, m.provider_id AS "providerId", p.kind AS "providerKind", m.upstream_model AS "upstreamModel", m.kind,
  m.context_window AS "contextWindow", m.max_output_tokens AS "maxOutputTokens", m.supports_vision AS "supportsVision",
  m.supports_tools AS "supportsTools", m.supports_json AS "supportsJson", m.enabled, m.fallbacks, m.cache_ttl_seconds AS "cacheTtlSeconds",
  m.created_at AS "createdAt", m.updated_at AS "updatedAt",
  (SELECT ${PRICE_JSON} FROM prices pr WHERE pr.model_alias = m.alias AND pr.effective_from <= now() ORDER BY pr.effective_from DESC LIMIT 1) AS price,
  COALESCE((SELECT json_agg(${PRICE_JSON} ORDER BY pr.effective_from DESC) FROM prices pr WHERE pr.model_alias = m.alias), '[]') AS "priceHistory"
  FROM models m JOIN providers p ON p.id = m.provider_id`;

/** Prices arrive as decimal credit strings per 1M tokens and are stored as exact microcredits. */
function priceValues(p: PriceInput): [bigint, bigint, bigint, bigint, string | null] {
  const input = creditsToMicros(p.inputPerMtok);
  const output = creditsToMicros(p.outputPerMtok);
  const cached = p.cachedInputPerMtok !== undefined ? creditsToMicros(p.cachedInputPerMtok) : input;
  const write = p.cacheWritePerMtok !== undefined ? creditsToMicros(p.cacheWritePerMtok) : input;
  for (const [field, v] of [['inputPerMtok', input], ['outputPerMtok', output], ['cachedInputPerMtok', cached], ['cacheWritePerMtok', write]] as const) {
    if (v < 0n) throw new InvalidRequestError(`'${field}' must not be negative.`, { param: field, code: 'invalid_field' });
  }
  return [input, output, cached, write, p.effectiveFrom ?? null];
}

export async function insertPrice(db: Queryable, alias: string, p: PriceInput): Promise<void> {
  const [input, output, cached, write, from] = priceValues(p);
  await db.query(
    `INSERT INTO prices (model_alias, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, effective_from)
     VALUES ($1, $2, $3, $4, $5, COALESCE($6::timestamptz, now()))`,
    [alias, input.toString(), output.toString(), cached.toString(), write.toString(), from],
  );
}

async function checkFallbacks(db: Queryable, alias: string, fallbacks: string[] | undefined): Promise<void> {
  if (!fallbacks?.length) return;
  if (fallbacks.includes(alias)) throw new InvalidRequestError('A model cannot fall back to itself.', { param: 'fallbacks', code: 'invalid_field' });
  const { rows } = await db.query<{ alias: string }>('SELECT alias FROM models WHERE alias = ANY($1::text[])', [fallbacks]);
  const known = new Set(rows.map((r) => r.alias));
  const missing = fallbacks.filter((f) => !known.has(f));
  if (missing.length) throw new InvalidRequestError(`Unknown fallback model(s): ${missing.join(', ')}.`, { param: 'fallbacks', code: 'invalid_field' });
}

export function modelRoutes(gw: Gateway, changed: () => Promise<void>): Router {
  const r = Router();

  r.get('/models', async (_req, res) => {
    const { rows } = await gw.db.query(`${MODEL_SELECT} ORDER BY m.alias`);
    res.json({ data: rows });
  });

  r.get('/models/:alias', async (req, res) => {
    const { rows } = await gw.db.query(`${MODEL_SELECT} WHERE m.alias = $1`, [req.params.alias]);
    if (!rows[0]) throw new NotFoundError(`No model '${req.params.alias}'.`);
    res.json(rows[0]);
  });

  r.post('/models', async (req, res) => {
    const b = checkBody<ModelInput>('modelCreate', req.body);
    await checkFallbacks(gw.db, b.alias, b.fallbacks);
    await mapDbErrors(() =>
      gw.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO models (alias, provider_id, upstream_model, kind, context_window, max_output_tokens, supports_vision, supports_tools,
                               supports_json, enabled, fallbacks, cache_ttl_seconds)
           VALUES ($1, $2, $3, COALESCE($4, 'chat'), $5, $6, COALESCE($7, false), COALESCE($8, false), COALESCE($9, false),
                   COALESCE($10, true), COALESCE($11::text[], '{}'), $12)`,
          [b.alias, b.providerId, b.upstreamModel, b.kind, b.contextWindow, b.maxOutputTokens, b.supportsVision, b.supportsTools, b.supportsJson, b.enabled, b.fallbacks ?? null, b.cacheTtlSeconds ?? null],
        );
        await insertPrice(tx, b.alias, b.price);
      }),
    );
    await changed();
    const { rows } = await gw.db.query(`${MODEL_SELECT} WHERE m.alias = $1`, [b.alias]);
    res.status(201).json(rows[0]);
  });

  r.patch('/models/:alias', async (req, res) => {
    const b = checkBody<Record<string, unknown> & { fallbacks?: string[] }>('modelUpdate', req.body);
    await checkFallbacks(gw.db, req.params.alias, b.fallbacks);
    const set = setClause(b, MODEL_COLUMNS, 2);
    const { rowCount } = await mapDbErrors(() => gw.db.query(`UPDATE models SET ${set.sql}, updated_at = now() WHERE alias = $1`, [req.params.alias, ...set.values]));
    if (!rowCount) throw new NotFoundError(`No model '${req.params.alias}'.`);
    await changed();
    const { rows } = await gw.db.query(`${MODEL_SELECT} WHERE m.alias = $1`, [req.params.alias]);
    res.json(rows[0]);
  });

  r.delete('/models/:alias', async (req, res) => {
    const { rowCount } = await mapDbErrors(() => gw.db.query('DELETE FROM models WHERE alias = $1', [req.params.alias]));
    if (!rowCount) throw new NotFoundError(`No model '${req.params.alias}'.`);
    await changed();
    res.status(204).end();
  });

  r.get('/models/:alias/prices', async (req, res) => {
    const { rows } = await gw.db.query(`SELECT ${PRICE_JSON} AS price FROM prices pr WHERE pr.model_alias = $1 ORDER BY pr.effective_from DESC`, [req.params.alias]);
    res.json({ data: rows.map((r) => (r as { price: unknown }).price) });
  });

  /** A new price row; it applies to requests that start at or after effectiveFrom (default: now). */
  r.post('/models/:alias/prices', async (req, res) => {
    const b = checkBody<PriceInput>('priceCreate', req.body);
    const exists = await gw.db.query('SELECT 1 FROM models WHERE alias = $1', [req.params.alias]);
    if (!exists.rowCount) throw new NotFoundError(`No model '${req.params.alias}'.`);
    await mapDbErrors(() => insertPrice(gw.db, req.params.alias, b));
    await changed();
    const { rows } = await gw.db.query(`${MODEL_SELECT} WHERE m.alias = $1`, [req.params.alias]);
    res.status(201).json(rows[0]);
  });

  return r;
}
