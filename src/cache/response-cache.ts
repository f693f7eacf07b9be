import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest, ChatResponse, Usage } from '../canonical/index.js';
import type { ModelConfig } from '../config/catalogue.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { chatCacheKey } from './key.js';
import type { CacheStore } from './store.js';

export interface CacheOptions {
  defaultTtlSeconds: number;
  maxEntryBytes: number;
  /** 'account': answers are shared within an account only; 'global': across everyone. */
  scope: 'account' | 'global';
  /** Share of the full price a cache hit pays, in percent (0 = free). */
  hitChargePercent: number;
}

/** A complete, successful answer as stored: the canonical response and who served it. */
export interface CachedAnswer {
  response: ChatResponse;
  usage: Usage;
  servedModel: string;
  provider: string;
  storedAt: number;
}

/** What the cache step decided for one request. */
export interface CacheDecision {
  /** The key to look up and store under, when the request may use the cache. */
  key?: string;
  lookup: boolean;
  store: boolean;
  ttlSeconds: number;
  /** Why the cache is not used ("not deterministic", "no-store", "model ttl 0"). */
  bypass?: string;
}

/**
 * The response cache (docs/ARCHITECTURE.md): exact match on the canonical request, scoped per account by
 * default, TTL per model, only deterministic requests (temperature 0) unless the caller opts in
 * with `x-tollgate-cache: force`; `Cache-Control: no-cache` skips the lookup, `no-store` the
 * store. Only complete, successful answers are stored, within a size bound. Store trouble never
 * fails a request: it is a miss.
 */
export class ResponseCache {
  constructor(
    private readonly store: CacheStore,
    private readonly opts: CacheOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  get hitChargePercent(): number {
    return this.opts.hitChargePercent;
  }

  decide(req: ChatRequest, model: ModelConfig, headers: IncomingHttpHeaders, accountId: string): CacheDecision {
    const ttlSeconds = model.cacheTtlSeconds ?? this.opts.defaultTtlSeconds;
    const cc = String(headers['cache-control'] ?? '').toLowerCase();
    const forced = String(headers['x-tollgate-cache'] ?? '').toLowerCase() === 'force';
    const noStore = cc.includes('no-store');
    const noCache = cc.includes('no-cache');
    if (ttlSeconds <= 0) return { lookup: false, store: false, ttlSeconds, bypass: 'caching is off for this model' };
    if (noStore) return { lookup: false, store: false, ttlSeconds, bypass: 'no-store' };
    if (!forced && req.params.temperature !== 0) return { lookup: false, store: false, ttlSeconds, bypass: 'not deterministic (temperature is not 0)' };
    const key = chatCacheKey(req, this.opts.scope === 'global' ? 'global' : `account:${accountId}`);
    return { key, lookup: !noCache, store: true, ttlSeconds };
  }

  async lookup(decision: CacheDecision, model: string): Promise<CachedAnswer | undefined> {
    if (!decision.key || !decision.lookup) return undefined;
    let text: string | null = null;
    try {
      text = await this.store.get(decision.key);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'response cache unavailable; treated as a miss');
    }
    this.metrics.cache.labels(model, text ? 'hit' : 'miss').inc();
    return text ? (JSON.parse(text) as CachedAnswer) : undefined;
  }

  /** Stores a complete, successful answer (callers only pass those). */
  async save(decision: CacheDecision, answer: CachedAnswer): Promise<void> {
    if (!decision.key || !decision.store) return;
    const text = JSON.stringify(answer);
    if (text.length > this.opts.maxEntryBytes) return;
    try {
      await this.store.set(decision.key, text, decision.ttlSeconds);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'response cache unavailable; answer not stored');
    }
  }
}
