import type { Db } from '../store/db.js';
import type { Logger } from '../observability/logger.js';
import { BudgetService } from './budgets.js';
import { LeaseStore } from './lease-store.js';
import { LeaseBook, type HoldOutcome, type HoldRequest } from './leases.js';
import type { SettlementStream } from './settlement-stream.js';
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
  /** How long reads that must be exact wait for the settlement stream to be written. */
  exactReadWaitMs?: number;
}

/**
 * Credits as the request path sees them: holds come out of this instance's escrow lease in
 * memory (credits/leases.ts); settlements are made durable in the Redis settlement stream
 * (credits/settlement-stream.ts) and written to Postgres in batches by the settlers, or, without
 * Redis (or when it cannot take one), written by the request itself (credits/settlements.ts);
 * either way they are charged out of that lease and apply once. The sweeper releases what dead
 * instances left behind, once their settlements are written.
 */
export class CreditService {
  readonly leases: LeaseBook;
  readonly writer: SettlementWriter;
  /** Spend caps: reservations at admission, renewed while requests run, swept with the leases. */
  readonly budgets: BudgetService;
  private readonly store: LeaseStore;
  private stream: SettlementStream | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private lastStreamWarning = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly opts: CreditServiceOptions,
  ) {
    this.store = new LeaseStore(db, opts.instanceId, opts.lease.ttlMs);
    this.leases = new LeaseBook(this.store, log, { ...opts.lease, onStarving: opts.publishStarving });
    this.writer = new SettlementWriter(db, log, opts.instanceId, { maxBatch: opts.maxBatch, maxInFlight: opts.maxInFlight });
    this.budgets = new BudgetService(db, log, { instanceId: opts.instanceId, ttlMs: opts.lease.ttlMs });
  }

  /** A hold from the lease: synchronous when the lease covers it, else after a refill (or a bounded wait). */
  placeHold(input: HoldRequest): HoldOutcome | Promise<HoldOutcome> {
    return this.leases.hold(input);
  }

  /** Settlements go through this stream from now on (Redis is configured). */
  useStream(stream: SettlementStream): void {
    this.stream = stream;
  }

  /**
   * Settles one request: its hold goes back to the lease at once; the settlement is appended to
   * the stream (durable when this resolves), or written to Postgres here when the stream cannot
   * take it. An append whose answer was lost may also have landed: written twice, it applies once.
   */
  async settle(input: SettleInput, retryForMs?: number): Promise<Settlement> {
    if (input.hold !== undefined) this.leases.release(input.accountId, input.hold, input.cost);
    const entry = { ...input, lease: input.hold !== undefined ? this.opts.instanceId : null };
    if (this.stream) {
      // Read before the append: a lease refill answered meanwhile may not include this cost yet.
      const balance = this.leases.knownBalance(input.accountId);
      try {
        await this.stream.append(entry);
        return { charged: input.cost, balance, duplicate: false };
      } catch (err) {
        if (!this.stream.startingUp && Date.now() - this.lastStreamWarning > 10_000) {
          this.lastStreamWarning = Date.now();
          this.log.warn({ err: (err as Error).message }, 'settlement stream unavailable; writing settlements to Postgres directly');
        }
      }
    }
    return this.writer.write(entry, retryForMs);
  }

  /** Before a read that must be exact: waits (bounded) until settlements appended so far are written. */
  async settledUpToNow(): Promise<void> {
    await this.stream?.written(this.opts.exactReadWaitMs ?? 2_000);
  }

  /** What requests in flight on this instance hold of an account (out of its lease). */
  heldHere(accountId: string): bigint {
    return this.leases.view(accountId)?.holds ?? 0n;
  }

  /** Another instance starves on this account. */
  handBack(accountId: string): void {
    this.leases.handBack(accountId);
  }

  /** Work not yet written (for graceful shutdown). */
  get pending(): number {
    return this.writer.pending + this.store.pending;
  }

  /**
   * Releases expired holds and leases now; returns how many. A lease whose instance still has
   * settlements in the stream waits for them; while Redis cannot tell, leases wait.
   */
  async sweep(limit = 500): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT release_expired_holds($1) AS n', [limit]);
    const holds = rows[0]?.n ?? 0;
    let busy: string[];
    try {
      busy = this.stream ? await this.stream.unwritten() : [];
    } catch {
      return holds;
    }
    return holds + (await this.store.releaseExpired(busy, limit)) + (await this.budgets.releaseExpired(busy, limit));
  }

  start(sweepIntervalMs: number): void {
    this.leases.start();
    this.budgets.start();
    this.stream?.start();
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

  /** Graceful shutdown, after requests have settled: writes what the stream holds (bounded), stops the settler, gives every lease back. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.stream?.written(5_000);
    await this.stream?.stop();
    await this.leases.close();
    this.budgets.close();
  }
}
