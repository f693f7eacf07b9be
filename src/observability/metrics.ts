import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** A request as the metrics see it when it finishes. */
export interface FinishedRequest {
  endpoint: string;
  model: string;
  provider: string;
  status: number;
  stream: boolean;
  totalSeconds: number;
  upstreamSeconds: number | undefined;
  tokens: { prompt: number; completion: number; cached: number; cacheWrite: number; reasoning: number } | undefined;
  chargedMicros: bigint;
  cacheHit: boolean;
}

/**
 * A counter of the request path: counts are added up per label set in plain numbers and handed
 * to its prom-client counter when the registry is read (the counter's collect hook). Measured,
 * prom-client's own inc() validates and hashes the label set on every call (~1 µs; five a
 * request); this is a map lookup and an addition.
 */
class Tally {
  private readonly pending = new Map<string, { labels: Record<string, string>; n: number }>();

  constructor(registry: Registry, name: string, help: string, private readonly labelNames: readonly string[]) {
    const pending = this.pending;
    // Registered with the registry, which reads it (and through collect, this tally).
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const p of pending.values()) {
          if (p.n === 0) continue;
          this.inc(p.labels, p.n);
          p.n = 0;
        }
      },
    });
  }

  /** Adds `n` to the label set named by `key` (`labels` gives its values, in labelNames order, the first time). */
  add(key: string, labels: () => string[], n = 1): void {
    let p = this.pending.get(key);
    if (!p) {
      const values = labels();
      p = { labels: Object.fromEntries(this.labelNames.map((l, i) => [l, values[i]!])), n: 0 };
      this.pending.set(key, p);
    }
    p.n += n;
  }
}

/**
 * Prometheus metrics for one gateway instance (its own registry, so several gateways can live
 * in one process). The request path's counters are tallies (Tally, above); its histograms'
 * label children are cached, so it looks up no label set by its names.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Tally(this.registry, 'tollgate_requests_total', 'Requests by endpoint, model, provider and status', ['endpoint', 'model', 'provider', 'status']);
  private readonly duration = new Histogram({ name: 'tollgate_request_duration_seconds', help: 'Whole request time as the client sees it', labelNames: ['endpoint', 'stream'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly overhead = new Histogram({ name: 'tollgate_gateway_overhead_seconds', help: 'Time the gateway adds: request time minus time waiting on the provider', labelNames: ['endpoint', 'stream'], buckets: OVERHEAD_BUCKETS, registers: [this.registry] });
  private readonly upstream = new Histogram({ name: 'tollgate_upstream_duration_seconds', help: 'Time spent waiting on providers per request', labelNames: ['provider', 'model'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly attempts = new Tally(this.registry, 'tollgate_upstream_attempts_total', 'Upstream attempts by provider and outcome status', ['provider', 'status']);
  private readonly tokens = new Tally(this.registry, 'tollgate_tokens_total', 'Tokens by model and kind', ['model', 'kind']);
  private readonly credits = new Tally(this.registry, 'tollgate_credits_charged_microcredits_total', 'Microcredits charged, by model', ['model']);
  readonly cache = new Counter({ name: 'tollgate_cache_requests_total', help: 'Response cache lookups by model and result', labelNames: ['model', 'result'], registers: [this.registry] });
  readonly limiterRejections = new Counter({ name: 'tollgate_limiter_rejections_total', help: 'Requests refused by a rate limit, by limit', labelNames: ['limit'], registers: [this.registry] });
  readonly breakerState = new Gauge({ name: 'tollgate_breaker_state', help: 'Circuit breaker per provider key: 0 closed, 1 half-open, 2 open', labelNames: ['provider', 'key'], registers: [this.registry] });
  readonly inflight = new Gauge({ name: 'tollgate_inflight_requests', help: 'Requests (including open streams) being served', registers: [this.registry] });

  private readonly timers = new Map<string, { observe(v: number): void }>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'tollgate_' });
  }

  private child<T>(cache: Map<string, T>, key: string, make: () => T): T {
    let c = cache.get(key);
    if (!c) {
      c = make();
      cache.set(key, c);
    }
    return c;
  }

  recordRequest(r: FinishedRequest): void {
    const stream = r.stream ? 'true' : 'false';
    this.requests.add(`${r.endpoint}|${r.model}|${r.provider}|${r.status}`, () => [r.endpoint, r.model, r.provider, String(r.status)]);
    this.child(this.timers, `d|${r.endpoint}|${stream}`, () => this.duration.labels(r.endpoint, stream)).observe(r.totalSeconds);
    this.child(this.timers, `o|${r.endpoint}|${stream}`, () => this.overhead.labels(r.endpoint, stream)).observe(Math.max(0, r.totalSeconds - (r.upstreamSeconds ?? 0)));
    if (r.upstreamSeconds !== undefined) this.child(this.timers, `u|${r.provider}|${r.model}`, () => this.upstream.labels(r.provider, r.model)).observe(r.upstreamSeconds);
    if (r.tokens) {
      const t = r.tokens;
      if (t.prompt) this.tokens.add(`${r.model}|prompt`, () => [r.model, 'prompt'], t.prompt);
      if (t.completion) this.tokens.add(`${r.model}|completion`, () => [r.model, 'completion'], t.completion);
      if (t.cached) this.tokens.add(`${r.model}|cached_prompt`, () => [r.model, 'cached_prompt'], t.cached);
      if (t.cacheWrite) this.tokens.add(`${r.model}|cache_write`, () => [r.model, 'cache_write'], t.cacheWrite);
      if (t.reasoning) this.tokens.add(`${r.model}|reasoning`, () => [r.model, 'reasoning'], t.reasoning);
    }
    if (r.chargedMicros > 0n) this.credits.add(r.model, () => [r.model], Number(r.chargedMicros));
  }

  /** One upstream attempt and its outcome status. */
  recordAttempt(provider: string, status: number): void {
    this.attempts.add(`${provider}|${status}`, () => [provider, String(status)]);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
