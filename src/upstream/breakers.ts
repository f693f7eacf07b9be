import CircuitBreaker from 'opossum';
import type { ProviderConfig, ProviderKeyConfig } from '../config/catalogue.js';
import { UpstreamError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';

export interface BreakerOptions {
  /** Failure percentage over the rolling window that opens a breaker. */
  errorThresholdPercentage: number;
  /** Fewest attempts in the window before a breaker may open. */
  volumeThreshold: number;
  /** How long an open breaker waits before letting one probe through (half-open). */
  resetTimeoutMs: number;
  /** Length of the rolling window. */
  windowMs: number;
}

/**
 * Errors that say nothing about the deployment's health (the request itself was bad, or the
 * client went away) do not count against a breaker.
 */
function notAFailure(err: unknown): boolean {
  return !(err instanceof UpstreamError) || !err.retryable;
}

/** One breaker as the admin health page reports it. */
export interface BreakerState {
  provider: string;
  keyId: string;
  keyLabel: string;
  last4: string;
  state: 'closed' | 'open' | 'half_open';
  /** Failures and successes in the rolling window now. */
  failures: number;
  successes: number;
  inFlight: number;
  /** When it last opened (also while half-open), and the failure that opened it. */
  openedAt: string | null;
  openReason: string | null;
  /** Failures in the window when it opened (the window may have rolled past them since). */
  openedAfterFailures: number;
  /** When an open breaker lets its next probe through (null: closed, or probing now). */
  nextProbeAt: string | null;
  lastFailureAt: string | null;
}

/** What a breaker remembers beyond opossum's counters, for the health page. */
interface BreakerHistory {
  openedAt: number | null;
  openReason: string | null;
  openedAfterFailures: number;
  lastFailureAt: number | null;
  lastFailure: string | null;
}

/** A failure as the health page names it: the error code and HTTP status the provider's answer mapped to. */
function describeFailure(err: unknown): string {
  if (err instanceof UpstreamError) return `${err.code ?? err.kind}${err.upstreamStatus ? ` (HTTP ${err.upstreamStatus})` : ''}: ${err.message}`.slice(0, 300);
  return err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300);
}

type Runner = <T>(attempt: () => Promise<T>) => Promise<T>;

/**
 * One opossum circuit breaker per deployment (provider + key), in this instance's memory. An
 * open breaker is skipped by key selection; after resetTimeoutMs one attempt probes it
 * (half-open) and closes it on success.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<
    string,
    { breaker: CircuitBreaker<[() => Promise<unknown>], unknown>; provider: ProviderConfig; key: ProviderKeyConfig; history: BreakerHistory }
  >();

  constructor(
    private readonly opts: BreakerOptions,
    private readonly metrics: Metrics,
  ) {}

  private entry(provider: ProviderConfig, key: ProviderKeyConfig) {
    const id = `${provider.id}:${key.id}`;
    let e = this.breakers.get(id);
    if (!e) {
      const breaker = new CircuitBreaker(async (attempt: () => Promise<unknown>) => attempt(), {
        timeout: false,
        errorThresholdPercentage: this.opts.errorThresholdPercentage,
        volumeThreshold: this.opts.volumeThreshold,
        resetTimeout: this.opts.resetTimeoutMs,
        rollingCountTimeout: this.opts.windowMs,
        rollingCountBuckets: 10,
        errorFilter: notAFailure,
        // Only the counts open a breaker (and the health page shows them): no latency list kept
        // and sorted per window, no snapshot event every bucket.
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
      });
      const gauge = this.metrics.breakerState.labels(provider.id, key.id);
      gauge.set(0);
      const history: BreakerHistory = { openedAt: null, openReason: null, openedAfterFailures: 0, lastFailureAt: null, lastFailure: null };
      breaker.on('failure', (err: unknown) => {
        history.lastFailureAt = Date.now();
        history.lastFailure = describeFailure(err);
      });
      breaker.on('open', () => {
        gauge.set(2);
        history.openedAt = Date.now();
        history.openReason = history.lastFailure;
        history.openedAfterFailures = breaker.stats.failures;
      });
      breaker.on('halfOpen', () => gauge.set(1));
      breaker.on('close', () => {
        gauge.set(0);
        history.openedAt = null;
        history.openReason = null;
        history.openedAfterFailures = 0;
      });
      e = { breaker, provider, key, history };
      this.breakers.set(id, e);
    } else {
      e.provider = provider;
      e.key = key;
    }
    return e;
  }

  /** Whether the deployment may be tried now (closed, or half-open waiting for its probe). */
  isOpen(provider: ProviderConfig, key: ProviderKeyConfig): boolean {
    const e = this.breakers.get(`${provider.id}:${key.id}`);
    return e !== undefined && e.breaker.opened && !e.breaker.halfOpen;
  }

  /** Runs one attempt through the deployment's breaker. */
  runner(provider: ProviderConfig, key: ProviderKeyConfig): Runner {
    const { breaker } = this.entry(provider, key);
    return <T>(attempt: () => Promise<T>) => breaker.fire(attempt) as Promise<T>;
  }

  /** Every breaker's state; `inFlight` counts the attempts running on a key now. */
  snapshot(inFlight: (keyId: string) => number): BreakerState[] {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return [...this.breakers.values()].map(({ breaker, provider, key, history: h }) => {
      const state = breaker.halfOpen ? 'half_open' : breaker.opened ? 'open' : 'closed';
      return {
        provider: provider.id,
        keyId: key.id,
        keyLabel: key.label,
        last4: key.last4,
        state,
        failures: breaker.stats.failures,
        successes: breaker.stats.successes,
        inFlight: inFlight(key.id),
        openedAt: iso(h.openedAt),
        openReason: h.openReason,
        openedAfterFailures: h.openedAfterFailures,
        nextProbeAt: state === 'open' && h.openedAt !== null ? iso(h.openedAt + this.opts.resetTimeoutMs) : null,
        lastFailureAt: iso(h.lastFailureAt),
      };
    });
  }

  shutdown(): void {
    for (const { breaker } of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }
}

/** opossum's rejection while open, so callers can tell it from an upstream error. */
export function isBreakerOpen(err: unknown): boolean {
  return (err as { code?: string })?.code === 'EOPENBREAKER';
}
