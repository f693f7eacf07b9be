import type { Queryable } from '../store/db.js';
import type { Logger } from '../observability/logger.js';
import { LeaseStore } from './lease-store.js';
import { LeaseBook, type HoldOutcome, type HoldRequest } from './leases.js';
import { SettlementWriter, type Settlement, type SettleInput } from './settlements.js';

export type { HoldOutcome, HoldRequest } from './leases.js';
export type { IdempotencyOutcome, SettleInput, Settlement } from './settlements.js';

export interface CreditServiceOptions {
  instanceId: string;
  maxBatch?: number;
  maxInFlight?: number;
  lease: { ttlMs: number; idleMs: number; targetMs: number; waitMs: number };
  /** Tells the other instances that requests here wait for credit on this account. */
  publishStarving?: (accountId: string) => void;
}

/**
 * Credits as the request path sees them: holds come out of this instance's escrow lease in
 * memory (credits/leases.ts), settlements are written to Postgres in batches
 * (credits/settlements.ts) and charged out of that lease; the sweeper releases what dead
 * instances left behind.
 */
export class CreditService {
  readonly leases: LeaseBook;
  private readonly store: LeaseStore;
  private readonly writer: SettlementWriter;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
    private readonly opts: CreditServiceOptions,
  ) {
    this.store = new LeaseStore(db, opts.instanceId, opts.lease.ttlMs);
    this.leases = new LeaseBook(this.store, log, { ...opts.lease, onStarving: opts.publishStarving });
    this.writer = new SettlementWriter(db, log, opts.instanceId, { maxBatch: opts.maxBatch, maxInFlight: opts.maxInFlight });
  }

  /** A hold from the lease: synchronous when the lease covers it, else after a refill (or a bounded wait). */
  placeHold(input: HoldRequest): HoldOutcome | Promise<HoldOutcome> {
    return this.leases.hold(input);
  }

  /** Settles one request: its hold goes back to the lease at once, then the settlement is written. */
  settle(input: SettleInput, retryForMs?: number): Promise<Settlement> {
    if (input.hold !== undefined) this.leases.release(input.accountId, input.hold, input.cost);
    return this.writer.write({ ...input, lease: input.hold !== undefined ? this.opts.instanceId : null }, retryForMs);
  }

  /** Another instance starves on this account. */
  handBack(accountId: string): void {
    this.leases.handBack(accountId);
  }

  /** Work not yet written (for graceful shutdown). */
  get pending(): number {
    return this.writer.pending + this.store.pending;
  }

  /** Releases expired holds and leases now; returns how many. */
  async sweep(limit = 500): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT release_expired_holds($1) AS n', [limit]);
    return (rows[0]?.n ?? 0) + (await this.store.releaseExpired([], limit));
  }

  start(sweepIntervalMs: number): void {
    this.leases.start();
    const tick = async () => {
      try {
        const n = await this.sweep();
        if (n > 0) this.log.warn({ released: n }, 'released expired credit holds and leases');
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'credit sweeper failed');
      }
    };
    this.sweeper = setInterval(tick, sweepIntervalMs);
    this.sweeper.unref();
    void tick();
  }

  /** Graceful shutdown, after requests have settled: gives every lease back. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.leases.close();
  }
}
