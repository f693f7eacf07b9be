import type { AcquireAnswer } from './lease-store.js';
import { ZERO, type Micros } from './money.js';
import type { HoldTerms } from './pricing.js';

export interface HoldRequest {
  accountId: string;
  terms: HoldTerms;
  /** Output tokens wanted (all choices together). */
  maxOutput: number;
  /** Fewest output tokens worth serving; below it the hold is refused. */
  minOutput: number;
}

export type HoldOutcome = { ok: true; amount: Micros; grantedOutput: number } | { ok: false; available: Micros };

/** A request waiting for credit the lease does not have yet. */
export interface Waiter {
  req: HoldRequest;
  full: Micros;
  min: Micros;
  resolve: (o: HoldOutcome) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

/** This instance's lease on one account, as it counts it: total ≤ the lease row's amount (migration 0006). */
export class AccountLease {
  total = ZERO as bigint;
  holds = ZERO as bigint;
  validUntil = 0;
  lastUsed = Date.now();
  rate = 0;
  windowStart = Date.now();
  windowTaken = 0n;
  busy = false;
  epoch = 0;
  waiters: Waiter[] = [];
  retryMs = 0;
  retryTimer: NodeJS.Timeout | undefined;
  lastStarving = 0;
  lastTake = 1n;
  /** Costs settled here since `seen` was read from Postgres. */
  spentSinceSeen = 0n;
  seen: AcquireAnswer | undefined;
  constructor(readonly id: string) {}
  get free(): bigint {
    return this.total - this.holds;
  }

  /** A hold was taken: counted for the lease's size (recent holds per second, smoothed every 250 ms). */
  noteHold(amount: bigint): void {
    this.holds += amount;
    this.lastTake = amount;
    const now = Date.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= 250) {
      this.rate = (this.rate + (Number(this.windowTaken) * 1000) / elapsed) / 2;
      this.windowStart = now;
      this.windowTaken = 0n;
    }
    this.windowTaken += amount;
  }

  /** The lease this account should have here: `targetMs` of its recent holds. */
  target(targetMs: number): bigint {
    const recent = (Number(this.windowTaken) * 1000) / Math.max(250, Date.now() - this.windowStart);
    return BigInt(Math.ceil((Math.max(this.rate, recent) * targetMs) / 1000));
  }
}
