import { Ajv } from 'ajv';
import { readProjectJson } from '../paths.js';
import type { TracingEnv } from '../observability/tracing-setup.js';
import { parseRedisUrl, RedisUrlError } from '../store/redis.js';

const schema = readProjectJson<EnvSchema>('config-schema', 'env.schema.json');

interface EnvSchema {
  properties: Record<string, { type: string; default?: unknown; description?: string }>;
}

/** The OTEL_* variables (tracing) are described with the rest in the schema; their type is TracingEnv. */
export interface Env extends TracingEnv {
  PORT: number;
  HOST: string;
  DATABASE_URL?: string;
  DATABASE_DIRECT_URL?: string;
  DATABASE_POOL_SIZE: number;
  REDIS_URL?: string;
  REDIS_KEY_PREFIX: string;
  DATA_DIR: string;
  ADMIN_TOKEN?: string;
  ADMIN_SESSION_HOURS: number;
  ADMIN_COOKIE_SECURE: 'auto' | 'always' | 'never';
  TRUST_PROXY: string;
  ENCRYPTION_KEY?: string;
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  MAX_BODY_BYTES: number;
  UPSTREAM_CONNECTIONS: number;
  SHUTDOWN_DEADLINE_MS: number;
  SHUTDOWN_SETTLE_MS: number;
  CLIENT_HEADERS_TIMEOUT_MS: number;
  CLIENT_REQUEST_TIMEOUT_MS: number;
  INSTANCE_ID?: string;
  SEED_FILE?: string;
  FIRST_USER_CREDITS: string;
  METRICS_TOKEN?: string;
  CONFIG_CHECK_INTERVAL_MS: number;
  GLOBAL_RPM?: number;
  LIMITS_EXPECTED_INSTANCES: number;
  RETRY_MAX: number;
  RETRY_BASE_DELAY_MS: number;
  RETRY_MAX_DELAY_MS: number;
  RETRY_MAX_WAIT_MS: number;
  RETRY_DEADLINE_MS: number;
  BREAKER_ERROR_PERCENT: number;
  BREAKER_MIN_REQUESTS: number;
  BREAKER_RESET_MS: number;
  BREAKER_WINDOW_MS: number;
  CACHE_TTL_SECONDS: number;
  CACHE_SCOPE: 'account' | 'global';
  CACHE_HIT_CHARGE_PERCENT: number;
  CACHE_MAX_ENTRY_BYTES: number;
  CACHE_MAX_ENTRIES: number;
  CACHE_MEMORY_BYTES: number;
  MIN_AFFORDABLE_OUTPUT_TOKENS: number;
  LEASE_TTL_MS: number;
  LEASE_IDLE_MS: number;
  LEASE_TARGET_MS: number;
  CREDIT_WAIT_MS: number;
  SETTLEMENT_CLAIM_IDLE_MS: number;
  SETTLEMENT_LINGER_MS: number;
  SWEEP_INTERVAL_MS: number;
  ALERT_CHECK_INTERVAL_MS: number;
  WEBHOOK_RETRY_BASE_MS: number;
  WEBHOOK_MAX_ATTEMPTS: number;
  WEBHOOK_TIMEOUT_MS: number;
  WEBHOOK_ALLOW_PRIVATE: boolean;
  IDEMPOTENCY_RETENTION_SECONDS: number;
  CREDIT_BATCHES_IN_FLIGHT: number;
}

export class EnvError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: false });
const validate = ajv.compile(schema);

/**
 * Reads the variables the schema names from `source`, applies defaults and coerces numbers and
 * booleans. Throws EnvError naming the first bad variable.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env, opts: { serving?: boolean } = {}): Env {
  const picked: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = source[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  if (!validate(picked)) {
    const err = validate.errors?.[0];
    const variable = err?.instancePath.replace(/^\//, '') || String(err?.params && (err.params as { missingProperty?: string }).missingProperty) || 'environment';
    const shown = variable in picked && !/TOKEN|KEY|URL|HEADERS|ENDPOINT/.test(variable) ? ` (got ${JSON.stringify(source[variable])})` : '';
    throw new EnvError(variable, `Invalid environment variable ${variable}: ${err?.message ?? 'invalid'}${shown}`);
  }
  const env = picked as unknown as Env;
  if (env.REDIS_URL) {
    try {
      parseRedisUrl(env.REDIS_URL);
    } catch (err) {
      if (err instanceof RedisUrlError) throw new EnvError('REDIS_URL', `Invalid environment variable REDIS_URL: ${err.message}`);
      throw err;
    }
  }
  // Secrets the server needs; tools that only touch the schema (npm run migrate) do without.
  if (opts.serving === false) return env;
  if (env.DATABASE_URL && !env.ENCRYPTION_KEY) {
    throw new EnvError('ENCRYPTION_KEY', 'Invalid environment variable ENCRYPTION_KEY: required when DATABASE_URL is set (32 bytes, base64 or hex)');
  }
  // Replicas must share one admin token; a generated one would differ per instance and land in logs.
  if (env.DATABASE_URL && !env.ADMIN_TOKEN) {
    throw new EnvError('ADMIN_TOKEN', 'Invalid environment variable ADMIN_TOKEN: required when DATABASE_URL is set (at least 16 characters)');
  }
  return env;
}
