import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { createAccount, insertUser } from '../auth/users.js';
import { insertApiKey } from '../auth/api-key-store.js';
import { changeBalance } from '../credits/ledger.js';
import { creditsToMicros } from '../credits/money.js';
import type { ProviderKind } from '../sdk/admin-api/index.js';
import type { Db, Queryable } from '../store/db.js';
import type { SecretBox } from '../store/secrets.js';
import { projectPath, readProjectJson } from '../paths.js';
import { insertModel } from './repo/models.js';
import { insertPlan } from './repo/plans.js';
import { findProviderKeyByLabel, insertProviderKey, updateProviderKey } from './repo/provider-keys.js';
import { insertProvider, providerExists } from './repo/providers.js';

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
  providers: { id: string; kind: ProviderKind; name: string; baseUrl: string; apiKeyEnv?: string }[];
  plans?: { id: string; name: string; rpm?: number | null; rpmPerProvider?: number | null; tpm?: number | null; maxConcurrentStreams?: number | null; markupBps?: number }[];
  models: SeedModel[];
}

const SEED_LOCK_KEY = 7_314_200_002;

/** Reads and validates a seed file against config-schema/catalogue-seed.schema.json. */
export function readSeed(path = projectPath('catalogue', 'seed.json')): CatalogueSeed {
  const validate = new Ajv({ allErrors: false, strict: false }).compile<CatalogueSeed>(readProjectJson<object>('config-schema', 'catalogue-seed.schema.json'));
  const seed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!validate(seed)) {
    const e = validate.errors![0]!;
    throw new Error(`Catalogue seed ${path} is invalid at '${e.instancePath || '/'}': ${e.message}`);
  }
  const known = new Set(seed.models.map((m) => m.alias));
  for (const m of seed.models) {
    if (!seed.providers.some((p) => p.id === m.provider)) throw new Error(`Catalogue seed: model '${m.alias}' names unknown provider '${m.provider}'`);
    for (const f of m.fallbacks ?? []) if (!known.has(f)) throw new Error(`Catalogue seed: model '${m.alias}' falls back to unknown '${f}'`);
  }
  return seed;
}

/**
 * Writes the seed into an empty catalogue (no providers yet), once, even when several instances
 * start together, through the same repository the admin API writes with. Returns whether this call seeded.
 */
export async function seedIfEmpty(db: Db, secrets: SecretBox, seed: CatalogueSeed): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK_KEY]);
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM providers');
    if (rows[0]!.n > 0) return false;
    for (const p of seed.plans ?? []) await insertPlan(tx, p, { ifAbsent: true });
    for (const p of seed.providers) await insertProvider(tx, secrets, { id: p.id, kind: p.kind, name: p.name, baseUrl: p.baseUrl });
    for (const m of seed.models) {
      await insertModel(tx, {
        alias: m.alias,
        providerId: m.provider,
        upstreamModel: m.upstreamModel,
        kind: m.kind,
        contextWindow: m.contextWindow,
        maxOutputTokens: m.maxOutputTokens,
        supportsVision: m.vision ?? false,
        supportsTools: m.tools ?? false,
        supportsJson: m.json ?? false,
        fallbacks: m.fallbacks ?? [],
        price: { inputPerMtok: m.price.input, outputPerMtok: m.price.output, cachedInputPerMtok: m.price.cachedInput, cacheWritePerMtok: m.price.cacheWrite },
      });
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
    if (!(await providerExists(db, p.id))) continue;
    const label = `env:${p.apiKeyEnv}`;
    const current = await findProviderKeyByLabel(db, secrets, p.id, label);
    if (!current) await insertProviderKey(db, secrets, p.id, { secret: value, label });
    else if (current.secret !== value) await updateProviderKey(db, secrets, p.id, current.id, { secret: value });
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
    const accountId = await createAccount(tx, 'First account');
    const userId = await insertUser(tx, { accountId, email, name: 'First user', planId: 'default' });
    await changeBalance(tx, { accountId, kind: 'grant', amount: creditsToMicros(credits), note: 'first-start credits', actor: 'system' });
    const key = await insertApiKey(tx, userId, 'first key', null);
    return { email, key: key.key };
  });
}
