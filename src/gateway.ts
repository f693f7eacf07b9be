import type { AlertDispatcher } from './alerts/dispatcher.js';
import type { Authenticator } from './auth/authenticator.js';
import type { CreditService } from './credits/service.js';
import type { Limits } from './limits/admission.js';
import type { ResponseCache } from './cache/response-cache.js';
import type { Env } from './config/env.js';
import type { ConfigStore } from './config/store.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { Tracer } from './observability/tracing.js';
import type { KeyPicker } from './routing/keys.js';
import type { Db } from './store/db.js';
import type { SecretBox } from './store/secrets.js';
import type { Transport } from './upstream/transport.js';
import type { BreakerRegistry } from './upstream/breakers.js';
import type { RetryPolicy } from './upstream/retry.js';

/** Lifecycle flags read by /ready and the request path. */
export interface Lifecycle {
  shuttingDown: boolean;
  /** Requests (and streams) currently being served. */
  inflight: number;
  /** Requests holding credits that have not settled yet (may outlive their connection). */
  unsettled: number;
}

/**
 * Everything the request path needs, wired once in server.ts. Tests build the same thing around
 * real Postgres and Redis.
 */
export interface Gateway {
  env: Env;
  instanceId: string;
  log: Logger;
  metrics: Metrics;
  /** Request tracing (OpenTelemetry when an OTLP endpoint is set, else a no-op). */
  tracer: Tracer;
  db: Db;
  secrets: SecretBox;
  config: ConfigStore;
  auth: Authenticator;
  keys: KeyPicker;
  transport: Transport;
  breakers: BreakerRegistry;
  retry: RetryPolicy;
  credits: CreditService;
  /** Alerts (low balance, budget thresholds) and their webhook deliveries. */
  alerts: AlertDispatcher;
  limits: Limits;
  cache: ResponseCache;
  lifecycle: Lifecycle;
  /** Readiness probes of the external dependencies; a failing one makes /ready answer 503. */
  probes: Record<string, () => Promise<void>>;
  /**
   * Dependencies the gateway can serve without (Redis: config from memory, limits in memory):
   * reported by /ready, but their failure leaves the instance ready.
   */
  degradableProbes: Record<string, () => Promise<void>>;
}
