import { Router } from 'express';
import { generateApiKey } from '../../auth/api-keys.js';
import { changeBalance } from '../../credits/ledger.js';
import { creditsToMicros } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { setClause } from './providers.js';
import { checkBody } from './schemas.js';

interface UserInput {
  email: string;
  name?: string;
  planId?: string;
  accountId?: string;
  accountName?: string;
  initialCredits?: string;
}

const USER_SELECT = `SELECT u.id, u.email, u.name, u.plan_id AS "planId", u.disabled, u.account_id AS "accountId", a.name AS "accountName",
  a.balance::text AS "balanceMicros", a.held::text AS "heldMicros", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
  (SELECT count(*)::int FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS "activeKeys"
  FROM users u JOIN accounts a ON a.id = u.account_id`;

const KEY_SELECT = `SELECT id, user_id AS "userId", prefix, name, revoked_at AS "revokedAt", expires_at AS "expiresAt", created_at AS "createdAt" FROM api_keys`;

const USER_COLUMNS: Record<string, string> = { name: 'name', planId: 'plan_id', disabled: 'disabled' };

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
  createdAt: string;
}

/** Creates an API key for a user; the secret exists only in the returned value. */
export async function createApiKey(db: Gateway['db'], userId: string, name: string, expiresAt: string | null): Promise<CreatedKey> {
  const k = generateApiKey();
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    'INSERT INTO api_keys (user_id, key_hash, prefix, name, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at',
    [userId, k.hash, k.prefix, name, expiresAt],
  );
  return { id: rows[0]!.id, key: k.secret, prefix: k.prefix, name, createdAt: new Date(rows[0]!.created_at).toISOString() };
}

export function userRoutes(gw: Gateway, keysChanged: () => Promise<void>): Router {
  const r = Router();

  r.get('/users', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const { rows } = await gw.db.query(`${USER_SELECT} WHERE ($1 = '' OR u.email ILIKE '%' || $1 || '%' OR u.name ILIKE '%' || $1 || '%') ORDER BY u.created_at DESC LIMIT 500`, [q]);
    res.json({ data: rows });
  });

  r.get('/users/:id', async (req, res) => {
    const { rows } = await mapDbErrors(() => gw.db.query(`${USER_SELECT} WHERE u.id = $1`, [req.params.id]));
    if (!rows[0]) throw new NotFoundError(`No user '${req.params.id}'.`);
    res.json(rows[0]);
  });

  r.post('/users', async (req, res) => {
    const b = checkBody<UserInput>('userCreate', req.body);
    const initial = b.initialCredits !== undefined ? creditsToMicros(b.initialCredits) : 0n;
    if (initial < 0n) throw new InvalidRequestError("'initialCredits' must not be negative.", { param: 'initialCredits', code: 'invalid_field' });
    const id = await mapDbErrors(() =>
      gw.db.transaction(async (tx) => {
        let accountId = b.accountId;
        if (!accountId) {
          const acct = await tx.query<{ id: string }>('INSERT INTO accounts (name) VALUES ($1) RETURNING id', [b.accountName ?? b.email]);
          accountId = acct.rows[0]!.id;
        }
        const user = await tx.query<{ id: string }>(
          `INSERT INTO users (account_id, email, name, plan_id) VALUES ($1, $2, $3, COALESCE($4, 'default')) RETURNING id`,
          [accountId, b.email.toLowerCase(), b.name ?? '', b.planId ?? null],
        );
        if (initial > 0n) {
          await changeBalance(tx, { accountId, kind: 'grant', amount: initial as never, note: 'initial credits', actor: 'admin' });
        }
        return user.rows[0]!.id;
      }),
    );
    const { rows } = await gw.db.query(`${USER_SELECT} WHERE u.id = $1`, [id]);
    res.status(201).json(rows[0]);
  });

  r.patch('/users/:id', async (req, res) => {
    const b = checkBody<Record<string, unknown>>('userUpdate', req.body);
    const set = setClause(b, USER_COLUMNS, 2);
    const { rowCount } = await mapDbErrors(() => gw.db.query(`UPDATE users SET ${set.sql}, updated_at = now() WHERE id = $1`, [req.params.id, ...set.values]));
    if (!rowCount) throw new NotFoundError(`No user '${req.params.id}'.`);
    await keysChanged();
    const { rows } = await gw.db.query(`${USER_SELECT} WHERE u.id = $1`, [req.params.id]);
    res.json(rows[0]);
  });

  r.get('/users/:id/keys', async (req, res) => {
    const { rows } = await mapDbErrors(() => gw.db.query(`${KEY_SELECT} WHERE user_id = $1 ORDER BY created_at DESC`, [req.params.id]));
    res.json({ data: rows });
  });

  /** Creates a key. The response is the only time the secret is ever shown. */
  r.post('/users/:id/keys', async (req, res) => {
    const b = checkBody<{ name?: string; expiresAt?: string }>('apiKeyCreate', req.body ?? {});
    const user = await mapDbErrors(() => gw.db.query('SELECT 1 FROM users WHERE id = $1', [req.params.id]));
    if (!user.rowCount) throw new NotFoundError(`No user '${req.params.id}'.`);
    const created = await createApiKey(gw.db, req.params.id, b.name ?? '', b.expiresAt ?? null);
    res.setHeader('cache-control', 'no-store');
    res.status(201).json(created);
  });

  /** Revokes a key (kept for the record; it never authenticates again). */
  r.delete('/keys/:id', async (req, res) => {
    const { rowCount } = await mapDbErrors(() => gw.db.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [req.params.id]));
    if (!rowCount) throw new NotFoundError(`No API key '${req.params.id}'.`);
    await keysChanged();
    res.status(204).end();
  });

  return r;
}
