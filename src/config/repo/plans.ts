import type { Plan, PlanCreate, PlanUpdate } from '../../sdk/admin-api/index.js';
import type { Queryable } from '../../store/db.js';
import { isoTime, setClause } from '../../store/sql.js';

/** Plans: the one place that writes them (seed and admin API) and the admin API's reads. */

const PLAN_COLUMNS = {
  name: 'name',
  rpm: 'rpm',
  rpmPerProvider: 'rpm_per_provider',
  tpm: 'tpm',
  maxConcurrentStreams: 'max_concurrent_streams',
  markupBps: 'markup_bps',
};

const PLAN_SELECT = `SELECT id, name, rpm, rpm_per_provider AS "rpmPerProvider", tpm, max_concurrent_streams AS "maxConcurrentStreams",
  markup_bps AS "markupBps", ${isoTime('created_at')} AS "createdAt", ${isoTime('updated_at')} AS "updatedAt",
  (SELECT count(*)::int FROM users u WHERE u.plan_id = plans.id) AS "userCount" FROM plans`;

/** Inserts a plan; `ifAbsent` leaves an existing plan of that id as it is (the seed never overwrites an operator's edits). */
export async function insertPlan(db: Queryable, p: PlanCreate, opts: { ifAbsent?: boolean } = {}): Promise<void> {
  await db.query(
    `INSERT INTO plans (id, name, rpm, rpm_per_provider, tpm, max_concurrent_streams, markup_bps) VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 0))
     ${opts.ifAbsent ? 'ON CONFLICT (id) DO NOTHING' : ''}`,
    [p.id, p.name, p.rpm ?? null, p.rpmPerProvider ?? null, p.tpm ?? null, p.maxConcurrentStreams ?? null, p.markupBps ?? null],
  );
}

export async function createPlan(db: Queryable, p: PlanCreate): Promise<Plan> {
  await insertPlan(db, p);
  return (await getPlan(db, p.id))!;
}

export async function updatePlan(db: Queryable, id: string, patch: PlanUpdate): Promise<Plan | undefined> {
  const set = setClause(patch, PLAN_COLUMNS, 2);
  const { rowCount } = await db.query(`UPDATE plans SET ${set.sql}, updated_at = now() WHERE id = $1`, [id, ...set.values]);
  return rowCount ? getPlan(db, id) : undefined;
}

export async function deletePlan(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM plans WHERE id = $1', [id])).rowCount > 0;
}

export async function listPlans(db: Queryable): Promise<Plan[]> {
  return (await db.query<Plan>(`${PLAN_SELECT} ORDER BY id`)).rows;
}

export async function getPlan(db: Queryable, id: string): Promise<Plan | undefined> {
  return (await db.query<Plan>(`${PLAN_SELECT} WHERE id = $1`, [id])).rows[0];
}
