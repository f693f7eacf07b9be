import type { Response } from 'express';
import { recordAudit, type AuditChange } from '../../audit/log.js';
import type { Gateway } from '../../gateway.js';
import type { Queryable } from '../../store/db.js';
import { actorOf } from './auth.js';
import { mapDbErrors, type DbAction } from './db-errors.js';

export type Audit = (change: AuditChange) => Promise<void>;

/**
 * Runs an admin write in one transaction with its audit record: `fn` makes the change on `tx`
 * and calls `audit` with what changed (before → after), so both commit or neither does.
 * Constraint violations become 4xx (db-errors.ts).
 */
export function auditedWrite<T>(gw: Gateway, res: Response, fn: (tx: Queryable, audit: Audit) => Promise<T>, action: DbAction = 'write'): Promise<T> {
  const actor = actorOf(res);
  return mapDbErrors(() => gw.db.transaction((tx) => fn(tx, (change) => recordAudit(tx, actor, change))), action);
}
