import type { Logger } from '../observability/logger.js';
import { AccountLease, type HoldOutcome, type HoldRequest, type Waiter } from './lease-account.js';
import type { AcquireAnswer, LeaseStore } from './lease-store.js';
import type { Micros } from './money.js';
import { affordableOutput, holdCost } from './pricing.js';

export type { HoldOutcome, HoldRequest } from './lease-account.js';

export interface LeaseOptions {
  ttlMs: number;
  /** A lease unused this long is given back. */
  idleMs: number;
  /** Lease size: this many milliseconds of the account's recent holds on this instance. */
  targetMs: number;
  /** How long a request may wait for credit held by requests in flight before its 402. */
  waitMs: number;
  /** Called (at most every 100 ms per account) when requests wait: other instances may hand back idle lease. */
  onStarving?: (accountId: string) => void;
}

/**
 * The escrow lease book: each request's hold comes out of this instance's lease on its account,
 * in memory and exact. A lease is refilled ahead of need (sized from recent holds), extended
 * while in use, given back when idle, when another instance starves, and on shutdown. A request
 * the lease cannot cover waits (at most waitMs) for a refill, for settlements of requests in
 * flight, or for other instances' idle lease; it is refused at once when nothing can free enough.
 */
export class LeaseBook {
  private readonly accounts = new Map<string, AccountLease>();
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = Date.now();

  constructor(
    private readonly store: LeaseStore,
    private readonly log: Logger,
    private readonly opts: LeaseOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(20, Math.min(this.opts.idleMs / 2, this.opts.ttlMs / 6, 1_000)));
    this.timer.unref();
  }

  hold(req: HoldRequest): HoldOutcome | Promise<HoldOutcome> {
    let a = this.accounts.get(req.accountId);
    if (!a) this.accounts.set(req.accountId, (a = new AccountLease(req.accountId)));
    a.lastUsed = Date.now();
    const full = holdCost(req.terms, req.maxOutput);
    if (a.waiters.length === 0 && a.validUntil > a.lastUsed && full <= a.free) return this.take(a, full, req.maxOutput);
    const lease = a;
    return new Promise<HoldOutcome>((resolve, reject) => {
      const w: Waiter = { req, full, min: holdCost(req.terms, req.minOutput), resolve, reject, timer: setTimeout(() => this.giveUp(lease, w), this.opts.waitMs) };
      lease.waiters.push(w);
      this.kick(lease);
    });
  }

  /** A request settled: its hold comes back, its cost is spent out of the lease. */
  release(accountId: string, hold: Micros, cost: Micros): void {
    const a = this.accounts.get(accountId);
    if (!a) return;
    a.holds -= hold;
    a.total -= cost;
    a.spentSinceSeen += cost;
    // A cost beyond the lease is charged from what the account has available (settle_leased).
    if (a.total < 0n) a.total = 0n;
    a.lastUsed = Date.now();
    this.serve(a, false);
  }

  /**
   * Another instance is starving on this account: give back what no request here holds, unless
   * requests here wait for it (and it can serve one: crumbs too small for any of them are of more
   * use pooled with the others').
   */
  handBack(accountId: string): void {
    const a = this.accounts.get(accountId);
    if (!a || a.busy || a.free <= 0n) return;
    if (a.waiters.some((w) => w.min <= a.free)) return;
    void this.giveBack([a], false);
  }

  /** Lease and holds of an account as this instance counts them (tests, metrics). */
  view(accountId: string): { total: Micros; holds: Micros } | undefined {
    const a = this.accounts.get(accountId);
    return a && { total: a.total as Micros, holds: a.holds as Micros };
  }

  /**
   * The account's balance as this instance knows it: Postgres's at its last lease refill, less
   * what was settled here since. Charges of other instances, and settlements still on their way
   * to Postgres when it was read, may be missing from it.
   */
  knownBalance(accountId: string): Micros | undefined {
    const a = this.accounts.get(accountId);
    if (!a?.seen) return undefined;
    const b = a.seen.balance - a.spentSinceSeen;
    return (b > 0n ? b : 0n) as Micros;
  }

  get size(): number {
    return this.accounts.size;
  }

  /** Shutdown: stops the timers and gives back every lease (requests have finished by now). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const a of this.accounts.values()) if (a.retryTimer) clearTimeout(a.retryTimer);
    await this.giveBack([...this.accounts.values()].filter((a) => !a.busy), true);
  }

  private take(a: AccountLease, amount: bigint, grantedOutput: number): HoldOutcome {
    a.noteHold(amount);
    if (a.free * 2n < a.target(this.opts.targetMs)) this.kick(a);
    return { ok: true, amount: amount as Micros, grantedOutput };
  }

  /** Serves waiting requests from the free lease; `exhausted`: Postgres has no more, so clamp to what is here. */
  private serve(a: AccountLease, exhausted: boolean): void {
    if (a.waiters.length === 0 || a.validUntil <= Date.now()) return;
    for (let i = 0; i < a.waiters.length; ) {
      const w = a.waiters[i]!;
      const n = w.full <= a.free ? w.req.maxOutput : exhausted ? affordableOutput(w.req.terms, a.free, w.req.maxOutput, w.req.minOutput) : undefined;
      if (n === undefined) {
        i++;
        continue;
      }
      a.waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(this.take(a, n === w.req.maxOutput ? w.full : holdCost(w.req.terms, n), n));
    }
  }

  /** Asks Postgres for more lease (or only a longer expiry), unless an ask is already on its way. */
  private kick(a: AccountLease): void {
    if (a.busy || a.retryTimer) return;
    const need = a.waiters.reduce((s, w) => s + w.full, 0n);
    const wanted = need + a.target(this.opts.targetMs) - a.free;
    if (a.waiters.length === 0 && wanted <= 0n && a.validUntil > Date.now()) return;
    // Never lease crumbs no request here can use: they would only be stranded away from other instances.
    const smallest = a.waiters.reduce((m, w) => (w.min < m ? w.min : m), a.waiters.length ? a.waiters[0]!.min : a.lastTake);
    const min = smallest - a.free > 1n ? smallest - a.free : 1n;
    const asked = (wanted > 0n ? wanted : 0n) as Micros;
    a.busy = true;
    const sent = Date.now();
    this.store.acquire({ accountId: a.id, wanted: asked, min: min as Micros }).then(
      (ans) => this.acquired(a, ans, sent, asked),
      (err) => {
        a.busy = false;
        for (const w of a.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(err);
        }
      },
    );
  }

  private acquired(a: AccountLease, ans: AcquireAnswer, sent: number, asked: bigint): void {
    a.busy = false;
    a.epoch++;
    if (ans.fresh && a.total > 0n) {
      this.log.warn({ accountId: a.id, lost: a.total.toString() }, 'credit lease was released while in use; counting it as spent');
      a.total = 0n;
    }
    a.total += ans.granted;
    if (ans.lease > 0n) a.validUntil = sent + (this.opts.ttlMs * 2) / 3;
    a.seen = ans;
    a.spentSinceSeen = 0n;
    this.serve(a, ans.granted < asked);
    if (a.waiters.length === 0) {
      a.retryMs = 0;
      return;
    }
    for (const w of [...a.waiters]) if (this.hopeless(a, w, ans)) this.giveUp(a, w);
    if (a.waiters.length === 0) return;
    // Credit is held elsewhere: ask other instances for their idle lease, and look again shortly.
    const now = Date.now();
    if (this.opts.onStarving && now - a.lastStarving >= 100) {
      a.lastStarving = now;
      this.opts.onStarving(a.id);
    }
    a.retryMs = Math.min(Math.max(a.retryMs * 2, 5), 100);
    a.retryTimer = setTimeout(() => {
      a.retryTimer = undefined;
      if (a.waiters.length > 0) this.kick(a);
    }, a.retryMs);
  }

  /** Nothing in flight anywhere can free enough for this request: waiting cannot help. */
  private hopeless(a: AccountLease, w: Waiter, ans: AcquireAnswer): boolean {
    if (ans.balance < w.min) return true;
    const elsewhere = ans.held - ans.lease;
    return elsewhere <= 0n && a.holds <= 0n && a.free + (ans.balance - ans.held) < w.min;
  }

  private giveUp(a: AccountLease, w: Waiter): void {
    const i = a.waiters.indexOf(w);
    if (i < 0) return;
    a.waiters.splice(i, 1);
    clearTimeout(w.timer);
    const available = a.free + (a.seen ? a.seen.balance - a.seen.held : 0n);
    w.resolve({ ok: false, available: (available > 0n ? available : 0n) as Micros });
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const idle = [...this.accounts.values()].filter((a) => !a.busy && a.holds === 0n && a.waiters.length === 0 && now - a.lastUsed >= this.opts.idleMs);
    for (const a of idle) if (a.total === 0n) this.accounts.delete(a.id);
    void this.giveBack(idle.filter((a) => a.total > 0n), true);
    if (now - this.lastRenew >= this.opts.ttlMs / 3) {
      this.lastRenew = now;
      await this.renew([...this.accounts.values()].filter((a) => !a.busy && (a.total > 0n || a.holds > 0n)));
    }
  }

  /** Gives back the free lease of these accounts; `forget`: drop an account that is then empty and idle. */
  private async giveBack(list: AccountLease[], forget: boolean): Promise<void> {
    const items = list.filter((a) => a.free > 0n).map((a) => ({ a, amount: a.free as Micros }));
    if (items.length === 0) return;
    // Out of the book before the call, so no request counts on it meanwhile.
    for (const { a, amount } of items) {
      a.busy = true;
      a.total -= amount;
    }
    try {
      await this.store.giveBack(items.map(({ a, amount }) => ({ accountId: a.id, amount })));
      for (const { a } of items) {
        a.epoch++;
        if (forget && a.total === 0n && a.holds === 0n && a.waiters.length === 0) this.accounts.delete(a.id);
      }
    } catch (err) {
      for (const { a, amount } of items) a.total += amount;
      this.log.warn({ err: (err as Error).message }, 'giving back credit leases failed; keeping them');
    } finally {
      for (const { a } of items) {
        a.busy = false;
        if (a.waiters.length > 0) this.kick(a);
      }
    }
  }

  private async renew(list: AccountLease[]): Promise<void> {
    if (list.length === 0) return;
    const sent = Date.now();
    const epochs = list.map((a) => a.epoch);
    try {
      const found = await this.store.renew(list.map((a) => a.id));
      list.forEach((a, i) => {
        if (found.has(a.id)) a.validUntil = Math.max(a.validUntil, sent + (this.opts.ttlMs * 2) / 3);
        else if (a.total > 0n && !a.busy && a.epoch === epochs[i]) {
          this.log.warn({ accountId: a.id, lost: a.total.toString() }, 'credit lease was released while in use; counting it as spent');
          a.total = 0n;
        }
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'renewing credit leases failed');
    }
  }
}
