import type { PlanConfig, ProviderConfig, ProviderKeyConfig } from '../config/catalogue.js';
import { RateLimitError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { ConcurrencyLeases } from './concurrency.js';
import { rateLimitHeaders, type LimitState } from './headers.js';
import type { LimiterSet, LimitTake } from './limiters.js';

/** One limit to take from (its window and points), and how to name it. */
interface Take extends LimitTake {
  unit: 'requests' | 'tokens';
  message: (retrySeconds: number) => string;
}

/** What an admitted request holds: headers to send, and what to correct or release at the end. */
export interface Admission {
  headers: Record<string, string>;
  /** Token budgets taken on an estimate: give back or take more once real usage is known. */
  correctTokens(actualTokens: number): void;
  /** Concurrency leases: give back when the request ends. */
  release(): void;
}

/**
 * Admission against shared limits, taken before the upstream call: the limits of one step are
 * taken together, all or none, in one atomic Redis call shared with the other requests admitted
 * in the same moment (limits/limiters.ts). A Redis failure never fails a request (insurance
 * limiters take over).
 */
export class Limits {
  constructor(
    private readonly set: LimiterSet,
    private readonly leases: ConcurrencyLeases,
    private readonly metrics: Metrics,
    private readonly opts: { globalRpm?: number },
  ) {}

  /** User-level limits of the plan, and the global ceiling. */
  admit(userId: string, plan: PlanConfig | undefined, leaseId: string, est: { tokens: number; stream: boolean }): Promise<Admission> {
    return this.begin(userId, plan, leaseId, est, false).admission;
  }

  /**
   * Starts admit(); `ahead` says whether the request may go on while it runs: asked for
   * (`mayGoAhead`: the request answers its client only at the end), it holds no concurrency
   * lease, and its windows all had ample room when this instance last saw them
   * (LimiterSet.roomFor, which counts it against that view at once).
   */
  begin(userId: string, plan: PlanConfig | undefined, leaseId: string, est: { tokens: number; stream: boolean }, mayGoAhead: boolean): { admission: Promise<Admission>; ahead: boolean } {
    let takes: Take[];
    try {
      takes = this.userTakes(userId, plan, est.tokens);
    } catch (err) {
      return { admission: Promise.reject(err), ahead: false };
    }
    const ahead = mayGoAhead && !(est.stream && plan?.maxConcurrentStreams) && this.set.roomFor(takes);
    return { admission: this.takeUser(takes, userId, plan, leaseId, est.stream), ahead };
  }

  private async takeUser(takes: Take[], userId: string, plan: PlanConfig | undefined, leaseId: string, stream: boolean): Promise<Admission> {
    const states = await this.takeAll(takes);
    let leased = false;
    if (stream && plan?.maxConcurrentStreams) {
      leased = await this.leases.acquire(userId, leaseId, plan.maxConcurrentStreams);
      if (!leased) {
        this.refund(takes);
        this.metrics.limiterRejections.labels('concurrent_streams').inc();
        throw new RateLimitError(`Too many concurrent streams: plan '${plan.id}' allows ${plan.maxConcurrentStreams}. Try again when one finishes.`, 1, {}, 'concurrent_streams_exceeded');
      }
    }
    const tpm = takes.find((t) => t.kind === 'tpm');
    return {
      headers: rateLimitHeaders(states.get('rpm'), states.get('tpm')),
      correctTokens: (actual) => tpm && this.correct(tpm, actual),
      release: () => leased && void this.leases.release(userId, leaseId),
    };
  }

  /** The windows admit() takes from: the plan's requests and tokens per minute, and the global ceiling. */
  private userTakes(userId: string, plan: PlanConfig | undefined, estTokens: number): Take[] {
    const takes: Take[] = [];
    if (plan?.rpm) takes.push(this.take('rpm', plan.rpm, userId, 1, 'requests', (s) => `Rate limit reached for requests per minute (${plan.rpm}) on plan '${plan.id}'. Try again in ${s}s.`));
    if (plan?.tpm) {
      if (estTokens > plan.tpm) {
        this.metrics.limiterRejections.labels('tpm').inc();
        throw new RateLimitError(`This request is estimated at ${estTokens} tokens, more than the ${plan.tpm} tokens per minute of plan '${plan.id}'. Lower max_tokens or the prompt.`, 60, {}, 'tokens_per_minute_exceeded');
      }
      takes.push(this.take('tpm', plan.tpm, userId, estTokens, 'tokens', (s) => `Rate limit reached for tokens per minute (${plan.tpm}) on plan '${plan.id}'. Try again in ${s}s.`));
    }
    if (this.opts.globalRpm) takes.push(this.take('global', this.opts.globalRpm, 'all', 1, 'requests', (s) => `The gateway is at its request ceiling. Try again in ${s}s.`));
    return takes;
  }

  /** Limits of one deployment: requests per minute per user and provider, and the provider key's own quotas. */
  async admitDeployment(userId: string, plan: PlanConfig | undefined, provider: ProviderConfig, key: ProviderKeyConfig, estTokens: number): Promise<Admission> {
    const takes: Take[] = [];
    if (plan?.rpmPerProvider) {
      takes.push(this.take('rpm_provider', plan.rpmPerProvider, `${userId}:${provider.id}`, 1, 'requests', (s) => `Rate limit reached for requests per minute to ${provider.name} (${plan.rpmPerProvider}) on plan '${plan.id}'. Try again in ${s}s.`));
    }
    if (key.rpmLimit) takes.push(this.take('key_rpm', key.rpmLimit, key.id, 1, 'requests', (s) => `${provider.name} is at its request quota. Try again in ${s}s.`));
    if (key.tpmLimit) takes.push(this.take('key_tpm', key.tpmLimit, key.id, estTokens, 'tokens', (s) => `${provider.name} is at its token quota. Try again in ${s}s.`));
    await this.takeAll(takes);
    const tpm = takes.find((t) => t.kind === 'key_tpm');
    return { headers: {}, correctTokens: (actual) => tpm && this.correct(tpm, actual), release: () => undefined };
  }

  private take(kind: string, limit: number, key: string, points: number, unit: Take['unit'], message: Take['message']): Take {
    return { kind, key, points, limit, durationSeconds: 60, unit, message };
  }

  /** Takes every limit at once, or none; a refusal is a 429 naming the limit. */
  private async takeAll(takes: Take[]): Promise<Map<string, LimitState>> {
    const states = new Map<string, LimitState>();
    if (takes.length === 0) return states;
    const outcome = await this.set.takeAll(takes);
    if (outcome.ok) {
      takes.forEach((t, i) => {
        const w = outcome.windows[i]!;
        states.set(t.kind, { limit: t.limit, remaining: t.limit - w.consumed, resetMs: w.msBeforeNext });
      });
      return states;
    }
    const take = takes[outcome.refused]!;
    const { consumed, msBeforeNext } = outcome.window;
    this.metrics.limiterRejections.labels(take.kind).inc();
    const retry = Math.max(1, Math.ceil(msBeforeNext / 1000));
    const state: LimitState = { limit: take.limit, remaining: take.limit - consumed, resetMs: msBeforeNext };
    const headers = take.unit === 'tokens' ? rateLimitHeaders(undefined, state) : rateLimitHeaders(state, undefined);
    throw new RateLimitError(take.message(retry), msBeforeNext / 1000, headers, take.unit === 'tokens' ? 'tokens_per_minute_exceeded' : 'rate_limit_exceeded');
  }

  private refund(takes: Take[]): void {
    for (const t of takes) this.set.adjust(t, -t.points);
  }

  /** Token budgets were taken on an estimate: settle the difference with real usage. */
  private correct(t: Take, actual: number): void {
    this.set.adjust(t, actual - t.points);
  }
}
