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
 * Prometheus metrics for one gateway instance (its own registry, so several gateways can live
 * in one process). Label children are cached: the hot path does map lookups, not label hashing.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'tollgate_requests_total', help: 'Requests by endpoint, model, provider and status', labelNames: ['endpoint', 'model', 'provider', 'status'], registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'tollgate_request_duration_seconds', help: 'Whole request time as the client sees it', labelNames: ['endpoint', 'stream'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly overhead = new Histogram({ name: 'tollgate_gateway_overhead_seconds', help: 'Time the gateway adds: request time minus time waiting on the provider', labelNames: ['endpoint', 'stream'], buckets: OVERHEAD_BUCKETS, registers: [this.registry] });
  private readonly upstream = new Histogram({ name: 'tollgate_upstream_duration_seconds', help: 'Time spent waiting on providers per request', labelNames: ['provider', 'model'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly attempts = new Counter({ name: 'tollgate_upstream_attempts_total', help: 'Upstream attempts by provider and outcome status', labelNames: ['provider', 'status'], registers: [this.registry] });
  private readonly tokens = new Counter({ name: 'tollgate_tokens_total', help: 'Tokens by model and kind', labelNames: ['model', 'kind'], registers: [this.registry] });
  private readonly credits = new Counter({ name: 'tollgate_credits_charged_microcredits_total', help: 'Microcredits charged, by model', labelNames: ['model'], registers: [this.registry] });
  readonly cache = new Counter({ name: 'tollgate_cache_requests_total', help: 'Response cache lookups by model and result', labelNames: ['model', 'result'], registers: [this.registry] });
  readonly limiterRejections = new Counter({ name: 'tollgate_limiter_rejections_total', help: 'Requests refused by a rate limit, by limit', labelNames: ['limit'], registers: [this.registry] });
  readonly breakerState = new Gauge({ name: 'tollgate_breaker_state', help: 'Circuit breaker per provider key: 0 closed, 1 half-open, 2 open', labelNames: ['provider', 'key'], registers: [this.registry] });
  readonly inflight = new Gauge({ name: 'tollgate_inflight_requests', help: 'Requests (including open streams) being served', registers: [this.registry] });

  private readonly children = new Map<string, { inc(): void }>();
  private readonly timers = new Map<string, { observe(v: number): void }>();
  private readonly counters = new Map<string, { inc(n: number): void }>();

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
    this.child(this.children, `r|${r.endpoint}|${r.model}|${r.provider}|${r.status}`, () => this.requests.labels(r.endpoint, r.model, r.provider, String(r.status))).inc();
    this.child(this.timers, `d|${r.endpoint}|${stream}`, () => this.duration.labels(r.endpoint, stream)).observe(r.totalSeconds);
    this.child(this.timers, `o|${r.endpoint}|${stream}`, () => this.overhead.labels(r.endpoint, stream)).observe(Math.max(0, r.totalSeconds - (r.upstreamSeconds ?? 0)));
    if (r.upstreamSeconds !== undefined) this.child(this.timers, `u|${r.provider}|${r.model}`, () => this.upstream.labels(r.provider, r.model)).observe(r.upstreamSeconds);
    if (r.tokens) {
      const t = r.tokens;
      if (t.prompt) this.tokenCounter(r.model, 'prompt').inc(t.prompt);
      if (t.completion) this.tokenCounter(r.model, 'completion').inc(t.completion);
      if (t.cached) this.tokenCounter(r.model, 'cached_prompt').inc(t.cached);
      if (t.cacheWrite) this.tokenCounter(r.model, 'cache_write').inc(t.cacheWrite);
      if (t.reasoning) this.tokenCounter(r.model, 'reasoning').inc(t.reasoning);
    }
    if (r.chargedMicros > 0n) this.child(this.counters, `c|${r.model}`, () => this.credits.labels(r.model)).inc(Number(r.chargedMicros));
  }

  /** One upstream attempt and its outcome status. */
  recordAttempt(provider: string, status: number): void {
    this.child(this.children, `a|${provider}|${status}`, () => this.attempts.labels(provider, String(status))).inc();
  }

  private tokenCounter(model: string, kind: string): { inc(n: number): void } {
    return this.child(this.counters, `t|${model}|${kind}`, () => this.tokens.labels(model, kind));
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
