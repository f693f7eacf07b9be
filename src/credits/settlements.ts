import type { Db, Queryable } from '../store/db.js';
import type { Logger } from '../observability/logger.js';
import { Batcher } from '../util/batcher.js';
import { isDataError, withoutNul } from '../store/db-errors.js';
import { micros, type Micros } from './money.js';
import type { RequestRow } from './request-row.js';
import { settleBudgets } from './budgets.js';

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
  /** The request's hold, taken from its instance's lease (absent: it held nothing). */
  hold?: Micros;
  /** The request reserved against spend caps (credits/budgets.ts): its settlement turns that into spend. */
  budget?: boolean;
}

export interface Settlement {
  charged: Micros;
  /** The account's balance after this settlement, as far as this instance knows it (absent: unknown). */
  balance?: Micros;
  duplicate: boolean;
}

/** A settlement as written: the lease its hold came from (the instance that served it), if any. */
export interface LeasedSettlement extends SettleInput {
  lease: string | null;
}

interface SettleRow {
  o_request_id: string;
  o_charged: string;
  o_balance: string;
  o_held: string;
  o_duplicate: boolean;
}

const SETTLE_ARGS = `($1::text[], $2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::text[], $11::boolean[], $12::integer[], $13::text[], $14::integer[], $15::integer[], $16::integer[],
  $17::integer[], $18::integer[], $19::boolean[], $20::bigint[], $21::boolean[], $22::integer[], $23::integer[], $24::jsonb[],
  $25::jsonb[], $26::text, $27::timestamptz[], $28::text[], $29::integer[], $30::jsonb, $31::text[], $32::bigint[], $33::text[], $34::text[])`;
const SETTLE_SQL = `SELECT * FROM settle_leased_logged${SETTLE_ARGS}`;
/** The same, for a batch whose outcomes nobody reads (the settlers'): one row back instead of one per settlement. */
const SETTLE_QUIET_SQL = `SELECT count(*)::int AS n FROM settle_leased_logged${SETTLE_ARGS}`;

/** The request rows as one array per column (settle_leased $1–$25), in one pass. */
function settleColumns(items: LeasedSettlement[]): unknown[][] {
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

/** settle_leased $27–$29: started_at, idempotency_key, max_tokens_clamped. */
function settleTail(items: LeasedSettlement[]): unknown[][] {
  return [items.map((i) => i.row.started_at), items.map((i) => i.row.idempotency_key), items.map((i) => i.row.max_tokens_clamped)];
}

/** The Idempotency-Key outcomes of a batch (settle_leased $30), or null when it has none. */
function idempotencyOutcomes(items: LeasedSettlement[]): string | null {
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
  return idem.length ? JSON.stringify(idem) : null;
}

/** A settlement to write, and whether its caller reads the outcome. */
interface Write {
  settlement: LeasedSettlement;
  outcome: boolean;
}

/**
 * Settlements written to Postgres in batches (settle_leased, migration 0006, through
 * settle_leased_logged, 0011, which adds the error messages): each charges its
 * cost out of the lease its hold came from, records the request, the ledger entry and the
 * Idempotency-Key outcome, and applies once however often it is written.
 */
export class SettlementWriter {
  private readonly batcher: Batcher<Write, Settlement | undefined>;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly instanceId: string,
    opts: { maxBatch?: number; maxInFlight?: number } = {},
  ) {
    this.batcher = new Batcher((items) => this.run(items), { maxBatch: opts.maxBatch ?? 200, maxInFlight: opts.maxInFlight ?? 1, itemMayBeAtFault: isDataError });
  }

  /**
   * Writes one settlement. A failure of the database is retried with backoff for up to
   * `retryForMs`; a row the database refuses as written (a NUL byte a client smuggled into a
   * field) is written once more with its strings made storable, so what was served is still
   * recorded and charged, and it never waits on, or holds up, any other request.
   */
  async write(input: LeasedSettlement, retryForMs = 60_000): Promise<Settlement> {
    return (await this.submit(input, true, retryForMs))!;
  }

  /** As write(), for a caller that does not read the outcome (the settlement stream's settlers). */
  async record(input: LeasedSettlement, retryForMs = 60_000): Promise<void> {
    await this.submit(input, false, retryForMs);
  }

  private async submit(input: LeasedSettlement, outcome: boolean, retryForMs: number): Promise<Settlement | undefined> {
    const deadline = Date.now() + retryForMs;
    let item = input;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.batcher.submit({ settlement: item, outcome });
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

  get pending(): number {
    return this.batcher.pending;
  }

  private async run(writes: Write[]): Promise<(Settlement | undefined)[]> {
    const items = writes.map((w) => w.settlement);
    const quiet = !writes.some((w) => w.outcome);
    const settle = (q: Queryable) =>
      q.query<SettleRow>(quiet ? SETTLE_QUIET_SQL : SETTLE_SQL, [
        ...settleColumns(items),
        this.instanceId,
        ...settleTail(items),
        idempotencyOutcomes(items),
        items.map((i) => i.lease),
        items.map((i) => (i.hold ?? 0n).toString()),
        items.map((i) => i.row.instance_id),
        items.map((i) => i.row.error_message ?? null),
      ]);
    // Spend caps turn their reservations into spend in the same transaction as the rest of the
    // settlement (each applied once, by request id); a batch without capped requests needs no more.
    const capped = items.filter((i) => i.budget);
    const { rows } = capped.length
      ? await this.db.transaction(async (tx) => {
          await settleBudgets(tx, capped);
          return settle(tx);
        })
      : await settle(this.db);
    if (quiet) {
      const n = (rows[0] as unknown as { n: number } | undefined)?.n;
      if (n !== items.length) throw new Error(`the database returned ${String(n)} results for ${items.length} settlements`);
      return writes.map(() => undefined);
    }
    const byId = new Map(rows.map((r) => [r.o_request_id, r]));
    return items.map((i) => {
      const r = byId.get(i.requestId);
      if (!r) throw new Error(`the database returned no result for request ${i.requestId}`);
      return { charged: micros(r.o_charged), balance: micros(r.o_balance ?? '0'), duplicate: r.o_duplicate };
    });
  }
}
