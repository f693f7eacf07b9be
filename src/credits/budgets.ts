import type { BudgetPeriod } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import type { Logger } from '../observability/logger.js';
import { BudgetExceededError } from '../errors.js';
import { formatCredits, micros, type Micros } from './money.js';

/**
 * Budgets on the request path (migration 0008, docs/ARCHITECTURE.md "Budgets"): a request of a key
 * or user with a cap reserves its hold against every cap that applies, in one Postgres statement,
 * before it holds credits; its settlement turns the reservation into spend (settleBudgets, in the
 * settlement writer's batch). Requests of uncapped keys never get here.
 */

export interface BudgetRequest {
  requestId: string;
  keyId: string;
  userId: string;
  /** The hold the request wants, and the least worth serving. */
  wanted: Micros;
  min: Micros;
}

/** A cap that applies to the request, as it was before this request. */
export interface BindingCap {
  scope: 'key' | 'user';
  period: BudgetPeriod;
  periodStart: string;
  limit: Micros;
  spent: Micros;
  reserved: Micros;
}

/** Refused: `binding` names the cap that refused (one with no room left for the request, or else the tightest). */
export type BudgetOutcome = { ok: true; granted: Micros; binding?: BindingCap } | { ok: false; binding: BindingCap };

interface ReserveRow {
  o_granted: string;
  o_budget_id: string | null;
  o_scope: 'key' | 'user' | null;
  o_period: BudgetPeriod | null;
  o_period_start: string | null;
  o_limit: string | null;
  o_spent: string | null;
  o_reserved: string | null;
}

const RESERVE_SQL = `SELECT o_granted::text, o_budget_id::text, o_scope, o_period, to_char(o_period_start, 'YYYY-MM-DD') AS o_period_start,
  o_limit::text, o_spent::text, o_reserved::text FROM reserve_budgets($1, $2::uuid, $3::uuid, $4::bigint, $5::bigint, $6, $7::bigint)`;

export class BudgetService {
  /** Requests of this instance holding a reservation, not yet settled: their reservations are renewed. */
  private readonly open = new Set<string>();
  /** Per key, the tail of the line of this instance's requests waiting for room under a cap. */
  private readonly waiting = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
    private readonly opts: { instanceId: string; ttlMs: number },
  ) {}

  /**
   * Reserves up to `wanted` against every cap of the key and its user (one statement); refused
   * below `min`. A refusal that settlements on their way could lift (a cap has room for `min` once
   * its reservations are spent, at no more than reserved) waits for up to `waitMs`: a client
   * sending one request after another is not refused because the previous one's settlement is
   * still being written. The waiting requests of a key on this instance take turns (one polls,
   * with backoff), so a crowd of them does not contend with the settlements for the caps' rows.
   */
  async reserve(req: BudgetRequest, waitMs = 0): Promise<BudgetOutcome> {
    const first = await this.attempt(req);
    if (first.ok || first.hopeless || waitMs <= 0) return first.outcome;
    const deadline = Date.now() + waitMs;
    const turn = (this.waiting.get(req.keyId) ?? Promise.resolve()).then(() => this.poll(req, deadline));
    const tail = turn.then(
      () => undefined,
      () => undefined,
    );
    this.waiting.set(req.keyId, tail);
    void tail.then(() => {
      if (this.waiting.get(req.keyId) === tail) this.waiting.delete(req.keyId);
    });
    return turn;
  }

  private async poll(req: BudgetRequest, deadline: number): Promise<BudgetOutcome> {
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      const a = await this.attempt(req);
      if (a.ok || a.hopeless || Date.now() + delay > deadline) return a.outcome;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async attempt(req: BudgetRequest): Promise<{ ok: boolean; hopeless: boolean; outcome: BudgetOutcome }> {
    const { granted, caps } = await this.reserveOnce(req);
    if (caps.length === 0) return { ok: true, hopeless: false, outcome: { ok: true, granted } };
    if (granted > 0n) {
      this.open.add(req.requestId);
      return { ok: true, hopeless: false, outcome: { ok: true, granted, binding: caps[0] } };
    }
    // Spent only grows within a period: a cap without room for `min` besides its reservations stays so.
    const hopeless = caps.find((c) => c.limit - c.spent < req.min);
    return { ok: false, hopeless: hopeless !== undefined, outcome: { ok: false, binding: hopeless ?? caps[0]! } };
  }

  /** One attempt: what was granted (0: refused) and every cap that applies, tightest first. */
  private async reserveOnce(req: BudgetRequest): Promise<{ granted: Micros; caps: BindingCap[] }> {
    const { rows } = await this.db.query<ReserveRow>(RESERVE_SQL, [req.requestId, req.keyId, req.userId, req.wanted.toString(), req.min.toString(), this.opts.instanceId, this.opts.ttlMs]);
    const caps = rows
      .filter((r) => r.o_budget_id !== null)
      .map((r) => ({ scope: r.o_scope!, period: r.o_period!, periodStart: r.o_period_start!, limit: micros(r.o_limit!), spent: micros(r.o_spent!), reserved: micros(r.o_reserved!) }));
    return { granted: micros(rows[0]!.o_granted), caps };
  }

  /** The request settled (its settlement is durable): its reservation is no longer renewed here. */
  settled(requestId: string): void {
    this.open.delete(requestId);
  }

  /** Reservations of expired instances go back to their caps, once those instances' settlements are written. */
  async releaseExpired(busy: string[], limit = 500): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT release_expired_budget_reservations($1, $2::text[]) AS n', [limit, busy]);
    return rows[0]?.n ?? 0;
  }

  start(): void {
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.opts.ttlMs / 3)));
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    if (this.open.size === 0) return;
    try {
      await this.db.query('SELECT renew_budget_reservations($1::text[], $2, $3::bigint)', [[...this.open], this.opts.instanceId, this.opts.ttlMs]);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'renewing budget reservations failed');
    }
  }
}

/**
 * The settlement side, called by the settlement writer for the requests of a batch that reserved:
 * each reservation becomes its request's cost, once (the reservation row is deleted with it), so
 * writing a settlement again changes nothing.
 */
export async function settleBudgets(db: Queryable, items: readonly { requestId: string; cost: Micros }[]): Promise<void> {
  if (items.length === 0) return;
  await db.query('SELECT settle_budgets($1::text[], $2::bigint[])', [items.map((i) => i.requestId), items.map((i) => i.cost.toString())]);
}

const PERIOD_NAME: Record<BudgetPeriod, string> = { day: 'daily', month: 'monthly', lifetime: 'lifetime' };

/** When a period that started on `periodStart` (YYYY-MM-DD, UTC) ends; null for lifetime. */
export function periodEnd(period: BudgetPeriod, periodStart: string): Date | null {
  if (period === 'lifetime') return null;
  const [y, m, d] = periodStart.split('-').map(Number) as [number, number, number];
  return period === 'day' ? new Date(Date.UTC(y, m - 1, d + 1)) : new Date(Date.UTC(y, m, 1));
}

/** The 402 for a request a cap refused: which cap, its period, its limit, what is spent and reserved, and what the request needs. */
export function budgetRefusal(cap: BindingCap, needed: Micros, now = Date.now()): BudgetExceededError {
  const owner = cap.scope === 'key' ? "this API key's" : "this key's user's";
  const when = cap.period === 'day' ? ` for ${cap.periodStart} (UTC)` : cap.period === 'month' ? ` for ${cap.periodStart.slice(0, 7)} (UTC)` : '';
  const inFlight = cap.reserved > 0n ? ` and ${formatCredits(cap.reserved)} is reserved by requests in flight` : '';
  const ends = periodEnd(cap.period, cap.periodStart);
  const message =
    `Budget exceeded: ${owner} ${PERIOD_NAME[cap.period]} cap${when} is ${formatCredits(cap.limit)} credits; ` +
    `${formatCredits(cap.spent)} is spent${inFlight}, and this request needs at least ${formatCredits(needed)}.` +
    (ends ? ` The cap resets at ${ends.toISOString()}.` : '');
  const headers = {
    'x-tollgate-budget-scope': cap.scope,
    'x-tollgate-budget-period': cap.period,
    'x-tollgate-budget-limit': formatCredits(cap.limit),
    'x-tollgate-budget-spent': formatCredits(cap.spent),
    'x-tollgate-budget-reserved': formatCredits(cap.reserved),
  };
  return new BudgetExceededError(message, headers, ends ? Math.max(1, Math.ceil((ends.getTime() - now) / 1000)) : undefined);
}
