import type { Queryable } from '../store/db.js';
import type { Logger } from '../observability/logger.js';
import { Batcher } from '../util/batcher.js';
import { isDataError, withoutNul } from '../store/db-errors.js';
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

const HOLD_SQL = 'SELECT * FROM place_holds($1::text[], $2::uuid[], $3::numeric[], $4::numeric[], $5::bigint[], $6::bigint[], $7::numeric[], $8::bigint[], $9::text)';

const SETTLE_SQL = `SELECT * FROM settle_requests($1::text[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::text[], $11::boolean[], $12::integer[], $13::text[], $14::integer[], $15::integer[], $16::integer[],
  $17::integer[], $18::integer[], $19::boolean[], $20::bigint[], $21::boolean[], $22::integer[], $23::integer[], $24::jsonb[],
  $25::jsonb[], $26::text, $27::timestamptz[], $28::text[], $29::integer[], $30::jsonb)`;

/** The request rows as one array per column (settle_requests $1–$25), in one pass. */
function settleColumns(items: SettleInput[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 25 }, () => new Array(items.length));
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const r = it.row;
    const c = [
      it.requestId, it.accountId, it.cost.toString(), r.user_id, r.api_key_id, r.endpoint, r.model_alias, r.served_model,
      r.provider_id, r.upstream_model, r.stream, r.status, r.error_code, r.prompt_tokens, r.completion_tokens, r.cached_tokens,
      r.cache_write_tokens, r.reasoning_tokens, r.usage_estimated, r.price_id, r.cache_hit, r.latency_ms, r.upstream_latency_ms,
      JSON.stringify(r.attempts), r.tags ? JSON.stringify(r.tags) : null,
    ];
    for (let k = 0; k < 25; k++) cols[k]![i] = c[k];
  }
  return cols;
}

/** settle_requests $27–$29: started_at, idempotency_key, max_tokens_clamped. */
function settleTail(items: SettleInput[]): unknown[][] {
  return [items.map((i) => i.row.started_at), items.map((i) => i.row.idempotency_key), items.map((i) => i.row.max_tokens_clamped)];
}

/** The database answers per request id, in any order; put the answers in the items' order. */
function inItemOrder<I, R extends { o_request_id: string }>(items: I[], rows: R[], idOf: (i: I) => string): R[] {
  const byId = new Map(rows.map((r) => [r.o_request_id, r]));
  return items.map((i) => {
    const r = byId.get(idOf(i));
    if (!r) throw new Error(`the database returned no result for request ${idOf(i)}`);
    return r;
  });
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
    const batch = { maxBatch: opts.maxBatch ?? 200, maxInFlight: opts.maxInFlight ?? 1, itemMayBeAtFault: isDataError };
    this.holdBatcher = new Batcher((items) => this.runHolds(items), batch);
    this.settleBatcher = new Batcher((items) => this.runSettles(items), batch);
  }

  placeHold(input: HoldInput): Promise<HoldOutcome> {
    return this.holdBatcher.submit(input);
  }

  /**
   * Settles one request. A failure of the database is retried with backoff for up to
   * `retryForMs`; a row the database refuses as written (a NUL byte a client smuggled into a
   * field) is written once more with its strings made storable, so what was served is still
   * recorded and charged, and it never waits on, or holds up, any other request.
   */
  async settle(input: SettleInput, retryForMs = 60_000): Promise<Settlement> {
    const deadline = Date.now() + retryForMs;
    let item = input;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.settleBatcher.submit(item);
      } catch (err) {
        if (isDataError(err)) {
          if (item !== input) throw err;
          this.log.warn({ err: (err as Error).message, reqId: input.requestId }, 'settlement refused as written; recording it sanitized');
          item = { ...input, row: withoutNul(input.row), idempotency: input.idempotency && withoutNul(input.idempotency) };
          continue;
        }
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
    const n = items.length;
    const ids = new Array<string>(n);
    const accounts = new Array<string>(n);
    const prompt = new Array<string>(n);
    const outPrice = new Array<string>(n);
    const maxOut = new Array<number>(n);
    const minOut = new Array<number>(n);
    const mult = new Array<number>(n);
    const expires = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const it = items[i]!;
      ids[i] = it.requestId;
      accounts[i] = it.accountId;
      prompt[i] = it.terms.prompt.toString();
      outPrice[i] = it.terms.outPrice.toString();
      maxOut[i] = it.maxOutput;
      minOut[i] = it.minOutput;
      mult[i] = it.terms.mult;
      expires[i] = it.expiresInMs;
    }
    const { rows } = await this.db.query<HoldRow>(HOLD_SQL, [ids, accounts, prompt, outPrice, maxOut, minOut, mult, expires, this.opts.instanceId]);
    return inItemOrder(items, rows, (i) => i.requestId).map((r) => {
      const granted = Number(r.o_granted_out);
      if (granted < 0) return { ok: false, balance: micros(r.o_balance), held: micros(r.o_held) };
      return { ok: true, amount: micros(r.o_amount), grantedOutput: granted, balance: micros(r.o_balance), held: micros(r.o_held) };
    });
  }

  private async runSettles(items: SettleInput[]): Promise<Settlement[]> {
    const cols = settleColumns(items);
    const idem = items.filter((i) => i.idempotency).map((i) => ({
      request_id: i.requestId,
      account_id: i.accountId,
      key: i.idempotency!.key,
      ok: i.idempotency!.ok,
      status: i.idempotency!.status,
      body: i.idempotency!.body,
      headers: i.idempotency!.headers,
      retention_ms: i.idempotency!.retentionMs,
    }));
    const { rows } = await this.db.query<SettleRow>(SETTLE_SQL, [...cols, this.opts.instanceId, ...settleTail(items), idem.length ? JSON.stringify(idem) : null]);
    return inItemOrder(items, rows, (i) => i.requestId).map((r) => ({ charged: micros(r.o_charged), balance: micros(r.o_balance ?? '0'), held: micros(r.o_held ?? '0'), duplicate: r.o_duplicate }));
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
