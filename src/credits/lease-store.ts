import type { Queryable } from '../store/db.js';
import { Batcher } from '../util/batcher.js';
import { micros, type Micros } from './money.js';

/** Escrow leases in Postgres (migration 0006): one call serves many accounts. */

export interface AcquireRequest {
  accountId: string;
  wanted: Micros;
  /** Less than this is of no use to the caller: grant nothing rather than strand it. */
  min: Micros;
}

export interface AcquireAnswer {
  granted: Micros;
  /** The lease row's amount after the grant. */
  lease: Micros;
  /** The lease row was created now: whatever this instance thought it had was released. */
  fresh: boolean;
  balance: Micros;
  held: Micros;
}

interface AcquireRow {
  o_account_id: string;
  o_granted: string;
  o_lease: string;
  o_fresh: boolean;
  o_balance: string;
  o_held: string;
}

export class LeaseStore {
  private readonly acquirer: Batcher<AcquireRequest, AcquireAnswer>;

  constructor(
    private readonly db: Queryable,
    private readonly instanceId: string,
    private readonly ttlMs: number,
  ) {
    // One acquisition per account at a time (the lease book sees to it), so a batch never names an account twice.
    this.acquirer = new Batcher((items) => this.runAcquire(items), { maxBatch: 500, maxInFlight: 1 });
  }

  acquire(req: AcquireRequest): Promise<AcquireAnswer> {
    return this.acquirer.submit(req);
  }

  get pending(): number {
    return this.acquirer.pending;
  }

  private async runAcquire(items: AcquireRequest[]): Promise<AcquireAnswer[]> {
    const { rows } = await this.db.query<AcquireRow>('SELECT * FROM acquire_leases($1::uuid[], $2::bigint[], $3::bigint[], $4::text, $5::bigint)', [
      items.map((i) => i.accountId),
      items.map((i) => i.wanted.toString()),
      items.map((i) => i.min.toString()),
      this.instanceId,
      this.ttlMs,
    ]);
    const byId = new Map(rows.map((r) => [r.o_account_id, r]));
    return items.map((i) => {
      const r = byId.get(i.accountId)!;
      return { granted: micros(r.o_granted), lease: micros(r.o_lease), fresh: r.o_fresh, balance: micros(r.o_balance), held: micros(r.o_held) };
    });
  }

  /** Gives back up to `amount` of each lease; returns what each lease row holds afterwards. */
  async giveBack(items: { accountId: string; amount: Micros }[]): Promise<Map<string, Micros>> {
    if (items.length === 0) return new Map();
    const { rows } = await this.db.query<{ o_account_id: string; o_lease: string }>('SELECT * FROM return_leases($1::uuid[], $2::bigint[], $3::text)', [
      items.map((i) => i.accountId),
      items.map((i) => i.amount.toString()),
      this.instanceId,
    ]);
    return new Map(rows.map((r) => [r.o_account_id, micros(r.o_lease)]));
  }

  /** Extends this instance's leases; returns the amount of each one that exists. */
  async renew(accountIds: string[]): Promise<Map<string, Micros>> {
    if (accountIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ o_account_id: string; o_lease: string }>('SELECT * FROM renew_leases($1::uuid[], $2::text, $3::bigint)', [
      accountIds,
      this.instanceId,
      this.ttlMs,
    ]);
    return new Map(rows.map((r) => [r.o_account_id, micros(r.o_lease)]));
  }

  /** The sweeper: releases expired leases of every instance but `busy`; returns how many. */
  async releaseExpired(busy: string[], limit = 500): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT release_expired_leases($1, $2::text[]) AS n', [limit, busy]);
    return rows[0]?.n ?? 0;
  }
}
