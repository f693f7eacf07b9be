import type { Env } from './env.js';
import type { Logger } from '../observability/logger.js';
import type { Db } from '../store/db.js';
import type { SecretBox } from '../store/secrets.js';
import { resealProviderKeys } from './repo/provider-keys.js';
import { providersWithoutKeys } from './repo/providers.js';
import { createFirstUser, readSeed, seedIfEmpty, syncEnvProviderKeys } from './seed.js';

export interface FirstStartResult {
  seeded: boolean;
  providersWithEnvKeys: string[];
  providersWithoutKeys: string[];
  firstUser?: { email: string; key: string };
}

/**
 * What a start does to the database besides migrations: seed an empty catalogue, re-seal provider
 * keys under the current encryption key, take provider keys from the environment, and (embedded
 * mode, first start) create a first user and key.
 */
export async function prepareCatalogue(env: Env, db: Db, secrets: SecretBox, log: Logger): Promise<FirstStartResult> {
  const seed = env.SEED_FILE === 'none' ? undefined : readSeed(env.SEED_FILE);
  const seeded = seed ? await seedIfEmpty(db, secrets, seed) : false;
  if (seed && seeded) log.info({ models: seed.models.length, pricesAsOf: seed.pricesAsOf }, 'catalogue seeded');
  // Keys sealed under an older ENCRYPTION_KEY entry (or in the v1 form) move to the current one.
  const resealed = await resealProviderKeys(db, secrets);
  if (resealed > 0) log.info({ resealed }, 'provider keys re-encrypted with the current ENCRYPTION_KEY');
  const providersWithEnvKeys = seed ? await syncEnvProviderKeys(db, secrets, seed, process.env) : [];
  const result: FirstStartResult = { seeded, providersWithEnvKeys, providersWithoutKeys: await providersWithoutKeys(db) };
  if (!env.DATABASE_URL) result.firstUser = await createFirstUser(db, env.FIRST_USER_CREDITS);
  return result;
}

/** The embedded gateway's welcome: a plain-text banner on stderr (not a log line). */
export function printBanner(url: string, env: Env, adminToken: string | undefined, first: FirstStartResult): void {
  const lines = [
    '',
    `  Tollgate is running on an embedded database (${env.DATA_DIR}/)`,
    `  API             ${url}/v1`,
    `  Admin panel     ${url}/admin`,
  ];
  if (adminToken) lines.push(`  Admin token     ${adminToken}`);
  if (first.firstUser) lines.push(`  First API key   ${first.firstUser.key}   (${first.firstUser.email}, ${env.FIRST_USER_CREDITS} credits — shown once)`);
  if (first.providersWithoutKeys.length) {
    const vars = first.providersWithoutKeys.map((p) => `${p.toUpperCase()}_API_KEY`).join(', ');
    lines.push(`  No key yet for  ${first.providersWithoutKeys.join(', ')} — set ${vars} and restart, or add keys in the admin panel`);
  }
  lines.push('');
  process.stderr.write(`${lines.join('\n')}\n`);
}
