import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { generateApiKey } from '../auth/api-keys.js';
import { changeBalance } from '../credits/ledger.js';
import { creditsToMicros } from '../credits/money.js';
import type { Db, Queryable } from '../store/db.js';
import { lastFour, type SecretBox } from '../store/secrets.js';
import { projectPath, readProjectJson } from '../paths.js';

interface SeedModel {
  alias: string;
  provider: string;
  upstreamModel: string;
  kind?: 'chat' | 'embedding';
  contextWindow: number;
  maxOutputTokens: number;
  vision?: boolean;
  tools?: boolean;
  json?: boolean;
  fallbacks?: string[];
  price: { input: string; output: string; cachedInput?: string; cacheWrite?: string };
}

export interface CatalogueSeed {
  pricesAsOf: string;
  providers: { id: string; kind: string; name: string; baseUrl: string; apiKeyEnv?: string }[];
  plans?: { id: string; name: string; rpm?: number | null; rpmPerProvider?: number | null; tpm?: number | null; maxConcurrentStreams?: number | null; markupBps?: number }[];
  models: SeedModel[];
}

const SEED_LOCK_KEY = 7_314_200_002;

/** Reads and validates a seed file against config-schema/catalogue-seed.schema.json. */
export function readSeed(path = projectPath('catalogue', 'seed.json')): CatalogueSeed {
  const validate = new Ajv({ allErrors: false, strict: false }).compile(readProjectJson<object>('config-schema', 'catalogue-seed.schema.json'));
  const seed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!validate(seed)) {
    const e = validate.errors![0]!;
    throw new Error(`Catalogue seed ${path} is invalid at '${e.instancePath || '/'}': ${e.message}`);
  }
  const s = seed as CatalogueSeed;
  const known = new Set(s.models.map((m) => m.alias));
  for (const m of s.models) {
    if (!s.providers.some((p) => p.id === m.provider)) throw new Error(`Catalogue seed: model '${m.alias}' names unknown provider '${m.provider}'`);
    for (const f of m.fallbacks ?? []) if (!known.has(f)) throw new Error(`Catalogue seed: model '${m.alias}' falls back to unknown '${f}'`);
  }
  return s;
}

/**
 * Writes the seed into an empty catalogue (no providers yet), once, even when several instances
 * start together. Returns whether this call seeded.
 */
export async function seedIfEmpty(db: Db, seed: CatalogueSeed): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK_KEY]);
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM providers');
    if (rows[0]!.n > 0) return false;
    for (const p of seed.plans ?? []) {
      await tx.query(
        `INSERT INTO plans (id, name, rpm, rpm_per_provider, tpm, max_concurrent_streams, markup_bps) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO NOTHING`,
        [p.id, p.name, p.rpm ?? null, p.rpmPerProvider ?? null, p.tpm ?? null, p.maxConcurrentStreams ?? null, p.markupBps ?? 0],
      );
    }
    for (const p of seed.providers) {
      await tx.query('INSERT INTO providers (id, kind, name, base_url) VALUES ($1, $2, $3, $4)', [p.id, p.kind, p.name, p.baseUrl]);
    }
    for (const m of seed.models) {
      await tx.query(
        `INSERT INTO models (alias, provider_id, upstream_model, kind, context_window, max_output_tokens, supports_vision, supports_tools, supports_json, fallbacks)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [m.alias, m.provider, m.upstreamModel, m.kind ?? 'chat', m.contextWindow, m.maxOutputTokens, m.vision ?? false, m.tools ?? false, m.json ?? false, m.fallbacks ?? []],
      );
      const input = creditsToMicros(m.price.input);
      await tx.query(
        `INSERT INTO prices (model_alias, input_per_mtok, output_per_mtok, cached_input_per_mtok, cache_write_per_mtok) VALUES ($1, $2, $3, $4, $5)`,
        [
          m.alias,
          input.toString(),
          creditsToMicros(m.price.output).toString(),
          (m.price.cachedInput ? creditsToMicros(m.price.cachedInput) : input).toString(),
          (m.price.cacheWrite ? creditsToMicros(m.price.cacheWrite) : input).toString(),
        ],
      );
    }
    return true;
  });
}

/**
 * Provider keys from the environment (OPENAI_API_KEY, …): each becomes the provider's key
 * labelled "env:<VAR>", rotated in place when the variable changes. Keys added through the
 * admin API are left alone. Returns the providers that got or kept an env key.
 */
export async function syncEnvProviderKeys(db: Queryable, secrets: SecretBox, seed: CatalogueSeed, env: NodeJS.ProcessEnv): Promise<string[]> {
  const synced: string[] = [];
  for (const p of seed.providers) {
    const value = p.apiKeyEnv ? env[p.apiKeyEnv]?.trim() : undefined;
    if (!p.apiKeyEnv || !value) continue;
    const exists = await db.query('SELECT 1 FROM providers WHERE id = $1', [p.id]);
    if (!exists.rowCount) continue;
    const label = `env:${p.apiKeyEnv}`;
    const current = await db.query<{ id: string; secret_encrypted: string }>('SELECT id::text AS id, secret_encrypted FROM provider_keys WHERE provider_id = $1 AND label = $2', [p.id, label]);
    const row = current.rows[0];
    if (!row) {
      await db.query('INSERT INTO provider_keys (provider_id, label, secret_encrypted, last4) VALUES ($1, $2, $3, $4)', [p.id, label, secrets.seal(value), lastFour(value)]);
    } else if (secrets.open(row.secret_encrypted) !== value) {
      await db.query('UPDATE provider_keys SET secret_encrypted = $2, last4 = $3, updated_at = now() WHERE id = $1::bigint', [row.id, secrets.seal(value), lastFour(value)]);
    }
    synced.push(p.id);
  }
  return synced;
}

/** On a database without users: a first user with some credits and an API key (its secret is returned, shown once). */
export async function createFirstUser(db: Db, credits: string): Promise<{ email: string; key: string } | undefined> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK_KEY]);
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    if (rows[0]!.n > 0) return undefined;
    const email = 'admin@localhost';
    const acct = await tx.query<{ id: string }>("INSERT INTO accounts (name) VALUES ('First account') RETURNING id");
    const user = await tx.query<{ id: string }>("INSERT INTO users (account_id, email, name, plan_id) VALUES ($1, $2, 'First user', 'default') RETURNING id", [acct.rows[0]!.id, email]);
    await changeBalance(tx, { accountId: acct.rows[0]!.id, kind: 'grant', amount: creditsToMicros(credits), note: 'first-start credits', actor: 'system' });
    const k = generateApiKey();
    await tx.query("INSERT INTO api_keys (user_id, key_hash, prefix, name) VALUES ($1, $2, $3, 'first key')", [user.rows[0]!.id, k.hash, k.prefix]);
    return { email, key: k.secret };
  });
}
