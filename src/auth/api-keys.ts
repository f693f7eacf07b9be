import { hash, randomBytes } from 'node:crypto';
import { sha256 } from '../store/secrets.js';

/**
 * API keys look like "tg_<43 chars of base64url>" (256 random bits). Only the SHA-256 of the
 * whole key is stored; a slow hash is unnecessary for secrets with this much entropy, and a fast
 * one keeps authentication off the hot path's CPU budget.
 */
export const API_KEY_PREFIX = 'tg_';

export interface NewApiKey {
  secret: string;
  hash: Buffer;
  /** Shown in listings so people can tell keys apart: "tg_AbCd…". */
  prefix: string;
}

export function generateApiKey(): NewApiKey {
  const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { secret, hash: sha256(secret), prefix: secret.slice(0, 7) };
}

/** The key's SHA-256 in base64url, as the verdict caches name it; one-shot hashing, ~8× cheaper than a Hash object. */
export function apiKeyId(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

/** Pulls the key from "Authorization: Bearer <key>" (or "x-api-key", which some SDKs send). */
export function extractBearer(authorization: string | undefined, xApiKey?: string | string[]): string | undefined {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m ? m[1] : undefined;
  }
  if (typeof xApiKey === 'string' && xApiKey.length > 0) return xApiKey;
  return undefined;
}
