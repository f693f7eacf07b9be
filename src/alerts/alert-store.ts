import { creditsToMicros, formatCredits } from '../credits/money.js';
import type { Alert, AlertCreate } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime } from '../store/sql.js';

/** Alert rules as the admin API reads and writes them (migration 0010). */

interface AlertRow extends Omit<Alert, 'thresholds'> {
  thresholds: string[];
}

const ALERT_SELECT = `SELECT a.id, a.webhook_id AS "webhookId", a.kind, a.account_id AS "accountId", a.api_key_id AS "keyId", a.user_id AS "userId",
  a.period, a.thresholds::text[] AS thresholds, ${isoTime('a.created_at')} AS "createdAt",
  COALESCE(acc.name, u.email, k.prefix || '… ' || k.name || ' (' || ku.email || ')', '') AS subject
  FROM alerts a LEFT JOIN accounts acc ON acc.id = a.account_id LEFT JOIN users u ON u.id = a.user_id
  LEFT JOIN api_keys k ON k.id = a.api_key_id LEFT JOIN users ku ON ku.id = k.user_id`;

const view = (r: AlertRow): Alert => ({ ...r, thresholds: r.kind === 'low_balance' ? r.thresholds.map((t) => formatCredits(BigInt(t))) : r.thresholds });

export async function listAlerts(db: Queryable): Promise<Alert[]> {
  return (await db.query<AlertRow>(`${ALERT_SELECT} ORDER BY a.created_at DESC`)).rows.map(view);
}

/** What an alert body is missing or mixes up, in words (null: it is whole). */
export function alertBodyProblem(b: AlertCreate): { param: string; message: string } | null {
  if (b.kind === 'low_balance') {
    if (!b.accountId) return { param: 'accountId', message: "A low_balance alert needs 'accountId'." };
    if (!b.below) return { param: 'below', message: "A low_balance alert needs 'below': balances in credits." };
    if (b.keyId || b.userId || b.period || b.percents) return { param: 'kind', message: "A low_balance alert takes 'accountId' and 'below' only." };
    if (b.below.some((c) => creditsToMicros(c) <= 0n)) return { param: 'below', message: "'below' balances must be positive." };
    return null;
  }
  if (!b.keyId === !b.userId) return { param: 'keyId', message: "A budget alert needs exactly one of 'keyId' and 'userId'." };
  if (!b.period) return { param: 'period', message: "A budget alert needs the cap's 'period'." };
  if (!b.percents) return { param: 'percents', message: "A budget alert needs 'percents' of the cap (e.g. [50, 80, 100])." };
  if (b.accountId || b.below) return { param: 'kind', message: "A budget alert takes 'keyId' or 'userId', 'period' and 'percents' only." };
  return null;
}

const PERIOD_WORD = { day: 'daily', month: 'monthly', lifetime: 'lifetime' } as const;

/**
 * A budget alert watches one cap (fire_alerts joins it by owner and period): one on a key or user
 * with no cap for that period would never fire, so it is refused, naming what is missing.
 */
export async function budgetAlertProblem(db: Queryable, b: AlertCreate): Promise<{ param: string; message: string } | null> {
  if (b.kind !== 'budget' || !b.period) return null;
  const [param, column, id, who] = b.keyId ? (['keyId', 'api_key_id', b.keyId, 'This key'] as const) : (['userId', 'user_id', b.userId!, 'This user'] as const);
  const { rows } = await db.query<{ period: keyof typeof PERIOD_WORD }>(`SELECT period FROM budgets WHERE ${column} = $1 ORDER BY period`, [id]);
  if (rows.length === 0) return { param, message: `${who} has no spend cap, so a budget alert on it would never fire. Set a cap in its limits first.` };
  if (rows.some((r) => r.period === b.period)) return null;
  const has = rows.map((r) => PERIOD_WORD[r.period]).join(' and ');
  return { param: 'period', message: `${who} has no ${PERIOD_WORD[b.period]} cap (it has a ${has} one), so this alert would never fire.` };
}

export async function createAlert(db: Queryable, b: AlertCreate): Promise<Alert> {
  const thresholds = b.kind === 'low_balance' ? b.below!.map((c) => creditsToMicros(c).toString()) : b.percents!.map(String);
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO alerts (webhook_id, kind, account_id, api_key_id, user_id, period, thresholds) VALUES ($1, $2, $3, $4, $5, $6, $7::bigint[]) RETURNING id',
    [b.webhookId, b.kind, b.accountId ?? null, b.keyId ?? null, b.userId ?? null, b.period ?? null, thresholds],
  );
  return view((await db.query<AlertRow>(`${ALERT_SELECT} WHERE a.id = $1`, [rows[0]!.id])).rows[0]!);
}

export async function deleteAlert(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM alerts WHERE id = $1', [id])).rowCount > 0;
}
