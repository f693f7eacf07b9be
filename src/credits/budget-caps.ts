import { BUDGET_PERIODS, type BudgetCaps, type BudgetPeriod, type BudgetUsage } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { periodEnd } from './budgets.js';
import { creditsToMicros, formatCredits, micros } from './money.js';

/** Spend caps as the admin API and the account route read and write them (migration 0008). */

export type CapOwner = { keyId: string } | { userId: string };

interface UsageRow {
  scope: 'key' | 'user';
  period: BudgetPeriod;
  limit_amount: string;
  spent: string;
  reserved: string;
  period_start: string;
}

const USAGE_SQL = `
  SELECT CASE WHEN b.api_key_id IS NOT NULL THEN 'key' ELSE 'user' END AS scope, b.period, b.limit_amount::text,
         COALESCE(u.spent, 0)::text AS spent, COALESCE(u.reserved, 0)::text AS reserved,
         to_char(budget_period_start(b.period, now()), 'YYYY-MM-DD') AS period_start
    FROM budgets b
    LEFT JOIN budget_usage u ON u.budget_id = b.id AND u.period_start = budget_period_start(b.period, now())
   WHERE b.api_key_id = $1 OR b.user_id = $2
   ORDER BY 1, array_position(ARRAY['day', 'month', 'lifetime'], b.period)`;

function usageView(r: UsageRow): BudgetUsage {
  const limit = BigInt(r.limit_amount);
  const spent = BigInt(r.spent);
  const reserved = BigInt(r.reserved);
  const remaining = limit - spent - reserved;
  return {
    scope: r.scope,
    period: r.period,
    limit: formatCredits(limit),
    spent: formatCredits(spent),
    reserved: formatCredits(reserved),
    remaining: formatCredits(remaining > 0n ? remaining : 0n),
    limitMicros: r.limit_amount,
    spentMicros: r.spent,
    reservedMicros: r.reserved,
    periodStart: r.period_start,
    resetsAt: periodEnd(r.period, r.period_start)?.toISOString() ?? null,
  };
}

/** The caps that apply to a key's requests (its own, then its user's), or a user's own caps, with their current periods' usage. */
export async function capsWithUsage(db: Queryable, owner: { keyId: string; userId: string } | { userId: string }): Promise<BudgetUsage[]> {
  const { rows } = await db.query<UsageRow>(USAGE_SQL, ['keyId' in owner ? owner.keyId : null, owner.userId]);
  return rows.map(usageView);
}

/**
 * Sets, changes or removes (null) caps of a key or a user; run it in a transaction (`tx`), with
 * the change's audit record. A new cap starts with what its owner's recorded requests already
 * spent in the current period, so a cap set at noon counts the morning.
 */
export async function setCaps(tx: Queryable, owner: CapOwner, caps: BudgetCaps): Promise<void> {
  const [column, id] = 'keyId' in owner ? (['api_key_id', owner.keyId] as const) : (['user_id', owner.userId] as const);
  for (const period of BUDGET_PERIODS) {
    const value = caps[period];
    if (value === undefined) continue;
    if (value === null) {
      await tx.query(`DELETE FROM budgets WHERE ${column} = $1 AND period = $2`, [id, period]);
      continue;
    }
    const { rows } = await tx.query<{ id: string; inserted: boolean }>(
      `INSERT INTO budgets (${column}, period, limit_amount) VALUES ($1, $2, $3)
       ON CONFLICT (${column}, period) DO UPDATE SET limit_amount = EXCLUDED.limit_amount, updated_at = now()
       RETURNING id::text, (xmax = 0) AS inserted`,
      [id, period, creditsToMicros(value).toString()],
    );
    if (rows[0]!.inserted) await tx.query(INITIAL_SPEND_SQL[column], [rows[0]!.id, id, period]);
  }
}

/** The caps of a key or a user as set (no usage): what the audit log records before and after a change. */
export async function capsOf(db: Queryable, owner: CapOwner): Promise<Partial<Record<BudgetPeriod, string>>> {
  const [column, id] = 'keyId' in owner ? (['api_key_id', owner.keyId] as const) : (['user_id', owner.userId] as const);
  const { rows } = await db.query<{ period: BudgetPeriod; limit_amount: string }>(`SELECT period, limit_amount::text FROM budgets WHERE ${column} = $1`, [id]);
  return Object.fromEntries(rows.map((r) => [r.period, formatCredits(micros(r.limit_amount))]));
}

// The account index narrows the scan of the request log to the owner's account.
const INITIAL_SPEND_SQL = {
  api_key_id: `INSERT INTO budget_usage (budget_id, period_start, spent)
    SELECT $1::bigint, budget_period_start($3, now()), COALESCE(sum(r.cost), 0)
      FROM requests r
     WHERE r.account_id = (SELECT u.account_id FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $2)
       AND r.api_key_id = $2 AND r.started_at >= budget_period_start($3, now())::timestamp AT TIME ZONE 'UTC'
    ON CONFLICT DO NOTHING`,
  user_id: `INSERT INTO budget_usage (budget_id, period_start, spent)
    SELECT $1::bigint, budget_period_start($3, now()), COALESCE(sum(r.cost), 0)
      FROM requests r
     WHERE r.account_id = (SELECT u.account_id FROM users u WHERE u.id = $2)
       AND r.user_id = $2 AND r.started_at >= budget_period_start($3, now())::timestamp AT TIME ZONE 'UTC'
    ON CONFLICT DO NOTHING`,
} as const;

/** A key's model allowlist (null: every model); false if there is no such key. */
export async function setAllowedModels(db: Queryable, keyId: string, models: string[] | null): Promise<boolean> {
  return (await db.query('UPDATE api_keys SET allowed_models = $2 WHERE id = $1', [keyId, models])).rowCount > 0;
}

/** A key's owner and allowlist; undefined if there is no such key. */
export async function keyLimitsOwner(db: Queryable, keyId: string): Promise<{ userId: string; allowedModels: string[] | null } | undefined> {
  const { rows } = await db.query<{ userId: string; allowedModels: string[] | null }>(
    'SELECT user_id AS "userId", allowed_models AS "allowedModels" FROM api_keys WHERE id = $1',
    [keyId],
  );
  return rows[0];
}
