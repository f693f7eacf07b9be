import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { micros } from '../../src/credits/money.js';
import type { RequestRow } from '../../src/credits/request-row.js';
import { CreditService } from '../../src/credits/service.js';
import { PgDb } from '../../src/store/pg.js';
import { percentile } from '../latency.js';

function row(id: string, accountId: string): RequestRow {
  const now = new Date().toISOString();
  return {
    id, account_id: accountId, user_id: null, api_key_id: null, endpoint: 'bench', model_alias: 'bench', served_model: 'bench', provider_id: 'bench',
    upstream_model: 'bench', stream: false, status: 200, error_code: null, prompt_tokens: 20, completion_tokens: 20, cached_tokens: 0, cache_write_tokens: 0,
    reasoning_tokens: 0, usage_estimated: false, cost: 0, price_id: null, cache_hit: false, latency_ms: 1, upstream_latency_ms: 1, attempts: [], tags: null,
    instance_id: 'bench', started_at: now, finished_at: now, hold_amount: 0, uncollected: 0, idempotency_key: null, max_tokens_clamped: null,
  };
}

/**
 * Hold (from the instance's lease) + settle through the real batched functions, from `workers` concurrent loops for
 * `durationS`: requests/s and the latency each step adds (p50/p99).
 */
async function run(db: PgDb, accounts: string[], workers: number, durationS: number) {
  const credits = new CreditService(db, pino({ level: 'silent' }), { instanceId: 'bench', lease: { ttlMs: 30_000, idleMs: 5_000, targetMs: 1_500, waitMs: 2_000 } });
  credits.leases.start();
  const holdMs: number[] = [];
  const settleMs: number[] = [];
  const end = Date.now() + durationS * 1000;
  let done = 0;
  const terms = { prompt: 40n * 150_000n, outPrice: 600_000n, mult: 10_000 };
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (Date.now() < end) {
        const accountId = accounts[(w + done) % accounts.length]!;
        const id = `bench_${randomBytes(9).toString('base64url')}`;
        const t0 = performance.now();
        const hold = await credits.placeHold({ accountId, terms, maxOutput: 200, minOutput: 16 });
        const t1 = performance.now();
        if (!hold.ok) throw new Error('bench account ran dry');
        await credits.settle({ requestId: id, accountId, cost: micros(18), row: row(id, accountId), hold: hold.amount });
        const t2 = performance.now();
        holdMs.push(t1 - t0);
        settleMs.push(t2 - t1);
        done++;
      }
    }),
  );
  await credits.close();
  const h = Float64Array.from(holdMs).sort();
  const s = Float64Array.from(settleMs).sort();
  const both = Float64Array.from(holdMs.map((x, i) => x + settleMs[i]!)).sort();
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    accounts: accounts.length,
    workers,
    requestsPerSecond: Math.round(done / durationS),
    holdMs: { p50: r(percentile(h, 50)), p99: r(percentile(h, 99)) },
    settleMs: { p50: r(percentile(s, 50)), p99: r(percentile(s, 99)) },
    holdPlusSettleMs: { p50: r(percentile(both, 50)), p99: r(percentile(both, 99)) },
  };
}

export async function creditsBench(dbUrl: string, durationS: number) {
  const db = new PgDb({ connectionString: dbUrl, poolSize: 10 });
  const make = async (n: number) => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO accounts (name, balance) SELECT 'bench-' || g, 1000000000000 FROM generate_series(1, $1) g RETURNING id`,
      [n],
    );
    // Keep balance == Σ ledger: the initial balance is one grant per account.
    await db.query(`INSERT INTO ledger (account_id, kind, amount, note) SELECT id, 'grant', balance, 'bench' FROM accounts WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
    return rows.map((r) => r.id);
  };
  const hot = await make(1);
  const many = await make(1000);
  const result = {
    hotAccount: await run(db, hot, 64, durationS),
    thousandAccounts: await run(db, many, 64, durationS),
  };
  await db.close();
  return result;
}
