import type { Queryable } from '../store/db.js';
import type { Logger } from '../observability/logger.js';
import { Batcher } from '../util/batcher.js';
import { micros, type Micros } from './money.js';
import type { HoldTerms } from './pricing.js';
import type { RequestRow } from './request-row.js';

export interface HoldInput {
  requestId: string;
  accountId: string;
  terms: HoldTerms;
  /** Output tokens wanted (all choices together). */
  maxOutput: number;
  /** Fewest output tokens worth serving; below it the hold is refused. */
  minOutput: number;
  expiresInMs: number;
}

export type HoldOutcome =
  | { ok: true; amount: Micros; grantedOutput: number; balance: Micros; held: Micros }
  | { ok: false; balance: Micros; held: Micros };

export interface IdempotencyOutcome {
  key: string;
  ok: boolean;
  status: number;
  body: string;
  headers: Record<string, string>;
  retentionMs: number;
}

export interface SettleInput {
  requestId: string;
  accountId: string;
  cost: Micros;
  row: RequestRow;
  idempotency?: IdempotencyOutcome;
}

export interface Settlement {
  charged: Micros;
  balance: Micros;
  held: Micros;
  duplicate: boolean;
}

interface HoldRow {
  o_request_id: string;
  o_granted_out: string;
  o_amount: string;
  o_balance: string;
  o_held: string;
}
interface SettleRow {
  o_request_id: string;
  o_charged: string;
  o_balance: string;
  o_held: string;
  o_duplicate: boolean;
}

export interface CreditServiceOptions {
  instanceId: string;
  maxBatch?: number;
  maxInFlight?: number;
}

/**
 * Holds and settlements against Postgres, batched (see util/batcher.ts and migration 0002).
 * A settlement that fails for a transient reason is retried; if the process dies first, the
 * hold expires and the sweeper releases it, so nothing is stranded and nothing charged twice.
 */
export class CreditService {
  private readonly holdBatcher: Batcher<HoldInput, HoldOutcome>;
  private readonly settleBatcher: Batcher<SettleInput, Settlement>;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
    private readonly opts: CreditServiceOptions,
  ) {
    const batch = { maxBatch: opts.maxBatch ?? 200, maxInFlight: opts.maxInFlight ?? 3 };
    this.holdBatcher = new Batcher((items) => this.runHolds(items), batch);
    this.settleBatcher = new Batcher((items) => this.runSettles(items), batch);
  }

  placeHold(input: HoldInput): Promise<HoldOutcome> {
    return this.holdBatcher.submit(input);
  }

  /** Settles one request; retries transient database failures with backoff for up to `retryForMs`. */
  async settle(input: SettleInput, retryForMs = 60_000): Promise<Settlement> {
    const deadline = Date.now() + retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.settleBatcher.submit(input);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.log.warn({ err: (err as Error).message, reqId: input.requestId, attempt }, 'settlement failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5_000)));
      }
    }
  }

  /** Work not yet written (for graceful shutdown). */
  get pending(): number {
    return this.holdBatcher.pending + this.settleBatcher.pending;
  }

  private async runHolds(items: HoldInput[]): Promise<HoldOutcome[]> {
    const payload = items.map((i) => ({
      request_id: i.requestId,
      account_id: i.accountId,
      prompt: i.terms.prompt.toString(),
      out_price: i.terms.outPrice.toString(),
      max_out: i.maxOutput,
      min_out: i.minOutput,
      mult: i.terms.mult,
      expires_in_ms: i.expiresInMs,
      instance_id: this.opts.instanceId,
    }));
    const { rows } = await this.db.query<HoldRow>('SELECT * FROM place_holds($1::jsonb)', [JSON.stringify(payload)]);
    return rows.map((r) => {
      const granted = Number(r.o_granted_out);
      if (granted < 0) return { ok: false, balance: micros(r.o_balance), held: micros(r.o_held) };
      return { ok: true, amount: micros(r.o_amount), grantedOutput: granted, balance: micros(r.o_balance), held: micros(r.o_held) };
    });
  }

  private async runSettles(items: SettleInput[]): Promise<Settlement[]> {
    const payload = items.map((i) => ({
      request_id: i.requestId,
      account_id: i.accountId,
      cost: i.cost.toString(),
      request: i.row,
      idem_key: i.idempotency?.key ?? null,
      idem_ok: i.idempotency?.ok ?? null,
      idem_status: i.idempotency?.status ?? null,
      idem_body: i.idempotency?.body ?? null,
      idem_headers: i.idempotency?.headers ?? null,
      idem_retention_ms: i.idempotency?.retentionMs ?? null,
    }));
    const { rows } = await this.db.query<SettleRow>('SELECT * FROM settle_requests($1::jsonb)', [JSON.stringify(payload)]);
    return rows.map((r) => ({ charged: micros(r.o_charged), balance: micros(r.o_balance ?? '0'), held: micros(r.o_held ?? '0'), duplicate: r.o_duplicate }));
  }

  /** Releases expired holds now; returns how many. */
  async sweep(limit = 500): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT release_expired_holds($1) AS n', [limit]);
    return rows[0]?.n ?? 0;
  }

  startSweeper(intervalMs: number): void {
    const tick = async () => {
      try {
        const n = await this.sweep();
        if (n > 0) this.log.warn({ released: n }, 'released expired credit holds');
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'hold sweeper failed');
      }
    };
    this.sweeper = setInterval(tick, intervalMs);
    this.sweeper.unref();
    void tick();
  }

  stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }
}
