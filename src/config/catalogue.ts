import type { PriceRates } from '../credits/money.js';
import { micros } from '../credits/money.js';
import type { Queryable } from '../store/db.js';
import { providerKeyContext, type SecretBox } from '../store/secrets.js';

export type ProviderKind = 'openai' | 'anthropic' | 'gemini' | 'mistral';

export interface ProviderKeyConfig {
  id: string;
  providerId: string;
  label: string;
  /** Decrypted; lives only in memory, never logged. */
  secret: string;
  last4: string;
  weight: number;
  enabled: boolean;
  rpmLimit: number | null;
  tpmLimit: number | null;
}

export interface ProviderConfig {
  id: string;
  kind: ProviderKind;
  name: string;
  baseUrl: string;
  enabled: boolean;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  totalTimeoutMs: number;
  keys: ProviderKeyConfig[];
}

export interface PriceConfig extends PriceRates {
  id: string;
  effectiveFrom: number; // epoch ms
}

export interface ModelConfig {
  alias: string;
  providerId: string;
  upstreamModel: string;
  kind: 'chat' | 'embedding';
  contextWindow: number;
  maxOutputTokens: number;
  supportsVision: boolean;
  supportsTools: boolean;
  supportsJson: boolean;
  enabled: boolean;
  fallbacks: string[];
  cacheTtlSeconds: number | null;
  /** Newest first. */
  prices: PriceConfig[];
}

export interface PlanConfig {
  id: string;
  name: string;
  rpm: number | null;
  rpmPerProvider: number | null;
  tpm: number | null;
  maxConcurrentStreams: number | null;
  markupBps: number;
}

/**
 * An immutable snapshot of the catalogue. The hot path reads only this; a config change builds
 * a new snapshot and swaps it in whole, so a request never sees half an edit.
 */
export class Catalogue {
  constructor(
    readonly providers: ReadonlyMap<string, ProviderConfig>,
    readonly models: ReadonlyMap<string, ModelConfig>,
    readonly plans: ReadonlyMap<string, PlanConfig>,
    readonly loadedAt: number,
  ) {}

  static empty(): Catalogue {
    return new Catalogue(new Map(), new Map(), new Map(), Date.now());
  }

  /** The enabled model behind an alias, with an enabled provider; undefined otherwise. */
  servableModel(alias: string): ModelConfig | undefined {
    const m = this.models.get(alias);
    if (!m || !m.enabled) return undefined;
    const p = this.providers.get(m.providerId);
    return p && p.enabled ? m : undefined;
  }

  /** The price row in force at `at` (epoch ms): the newest whose effective_from ≤ at. */
  priceAt(model: ModelConfig, at: number): PriceConfig | undefined {
    for (const p of model.prices) if (p.effectiveFrom <= at) return p;
    return undefined;
  }
}

interface ProviderRow {
  id: string;
  kind: ProviderKind;
  name: string;
  base_url: string;
  enabled: boolean;
  connect_timeout_ms: number;
  first_byte_timeout_ms: number;
  total_timeout_ms: number;
}
interface KeyRow {
  id: string;
  provider_id: string;
  label: string;
  secret_encrypted: string;
  last4: string;
  weight: number;
  enabled: boolean;
  rpm_limit: number | null;
  tpm_limit: number | null;
}
interface ModelRow {
  alias: string;
  provider_id: string;
  upstream_model: string;
  kind: 'chat' | 'embedding';
  context_window: number;
  max_output_tokens: number;
  supports_vision: boolean;
  supports_tools: boolean;
  supports_json: boolean;
  enabled: boolean;
  fallbacks: string[];
  cache_ttl_seconds: number | null;
}
interface PriceRow {
  id: string;
  model_alias: string;
  input_per_mtok: string;
  output_per_mtok: string;
  cached_input_per_mtok: string;
  cache_write_per_mtok: string;
  effective_from_ms: string;
}
interface PlanRow {
  id: string;
  name: string;
  rpm: number | null;
  rpm_per_provider: number | null;
  tpm: number | null;
  max_concurrent_streams: number | null;
  markup_bps: number;
}

/** The catalogue as stored: what the Redis snapshot holds (provider keys still encrypted). */
export interface CatalogueRows {
  providers: ProviderRow[];
  keys: KeyRow[];
  models: ModelRow[];
  prices: PriceRow[];
  plans: PlanRow[];
}

/** Reads the whole catalogue from Postgres: five small queries, one snapshot. */
export async function fetchCatalogueRows(db: Queryable): Promise<CatalogueRows> {
  const [providers, keys, models, prices, plans] = await Promise.all([
    db.query<ProviderRow>('SELECT id, kind, name, base_url, enabled, connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms FROM providers'),
    db.query<KeyRow>('SELECT id::text AS id, provider_id, label, secret_encrypted, last4, weight, enabled, rpm_limit, tpm_limit FROM provider_keys ORDER BY id'),
    db.query<ModelRow>(
      'SELECT alias, provider_id, upstream_model, kind, context_window, max_output_tokens, supports_vision, supports_tools, supports_json, enabled, fallbacks, cache_ttl_seconds FROM models',
    ),
    db.query<PriceRow>(
      `SELECT id::text AS id, model_alias, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok,
              (extract(epoch FROM effective_from) * 1000)::bigint AS effective_from_ms
         FROM prices ORDER BY model_alias, effective_from DESC`,
    ),
    db.query<PlanRow>('SELECT id, name, rpm, rpm_per_provider, tpm, max_concurrent_streams, markup_bps FROM plans'),
  ]);
  return { providers: providers.rows, keys: keys.rows, models: models.rows, prices: prices.rows, plans: plans.rows };
}

/** Reads and builds in one step. */
export async function loadCatalogue(db: Queryable, secrets: SecretBox): Promise<Catalogue> {
  return buildCatalogue(await fetchCatalogueRows(db), secrets);
}

/** Builds the in-memory snapshot from rows, decrypting provider keys. */
export function buildCatalogue(rows: CatalogueRows, secrets: SecretBox): Catalogue {

  const providerMap = new Map<string, ProviderConfig>();
  for (const r of rows.providers) {
    providerMap.set(r.id, {
      id: r.id,
      kind: r.kind,
      name: r.name,
      baseUrl: r.base_url.replace(/\/+$/, ''),
      enabled: r.enabled,
      connectTimeoutMs: r.connect_timeout_ms,
      firstByteTimeoutMs: r.first_byte_timeout_ms,
      totalTimeoutMs: r.total_timeout_ms,
      keys: [],
    });
  }
  for (const k of rows.keys) {
    providerMap.get(k.provider_id)?.keys.push({
      id: k.id,
      providerId: k.provider_id,
      label: k.label,
      secret: secrets.open(k.secret_encrypted, providerKeyContext(k.provider_id, k.id)),
      last4: k.last4,
      weight: k.weight,
      enabled: k.enabled,
      rpmLimit: k.rpm_limit,
      tpmLimit: k.tpm_limit,
    });
  }

  const modelMap = new Map<string, ModelConfig>();
  for (const r of rows.models) {
    modelMap.set(r.alias, {
      alias: r.alias,
      providerId: r.provider_id,
      upstreamModel: r.upstream_model,
      kind: r.kind,
      contextWindow: r.context_window,
      maxOutputTokens: r.max_output_tokens,
      supportsVision: r.supports_vision,
      supportsTools: r.supports_tools,
      supportsJson: r.supports_json,
      enabled: r.enabled,
      fallbacks: r.fallbacks ?? [],
      cacheTtlSeconds: r.cache_ttl_seconds,
      prices: [],
    });
  }
  for (const p of rows.prices) {
    modelMap.get(p.model_alias)?.prices.push({
      id: p.id,
      inputPerMtok: micros(p.input_per_mtok),
      outputPerMtok: micros(p.output_per_mtok),
      cachedInputPerMtok: micros(p.cached_input_per_mtok),
      cacheWritePerMtok: micros(p.cache_write_per_mtok),
      effectiveFrom: Number(p.effective_from_ms),
    });
  }

  const planMap = new Map<string, PlanConfig>();
  for (const r of rows.plans) {
    planMap.set(r.id, {
      id: r.id,
      name: r.name,
      rpm: r.rpm,
      rpmPerProvider: r.rpm_per_provider,
      tpm: r.tpm,
      maxConcurrentStreams: r.max_concurrent_streams,
      markupBps: r.markup_bps,
    });
  }
  return new Catalogue(providerMap, modelMap, planMap, Date.now());
}
