import { Router } from 'express';
import { assertPositive, changeBalance } from '../../credits/ledger.js';
import { creditsToMicros, formatCredits } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { usageQuery } from '../account/usage-query.js';
import { NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { checkBody } from './schemas.js';

interface CreditChangeInput {
  amount: string;
  note?: string;
  idempotencyKey?: string;
}

const ACCOUNT_SELECT = `SELECT a.id, a.name, a.balance::text AS "balanceMicros", a.held::text AS "heldMicros",
  a.created_at AS "createdAt", (SELECT count(*)::int FROM users u WHERE u.account_id = a.id) AS "userCount" FROM accounts a`;

function withCredits<T extends { balanceMicros: string; heldMicros: string }>(a: T) {
  const balance = BigInt(a.balanceMicros);
  const held = BigInt(a.heldMicros);
  return { ...a, balance: formatCredits(balance), held: formatCredits(held), available: formatCredits(balance - held) };
}

/** Accounts, credit grants and adjustments, ledgers, and usage across everyone. */
export function accountAdminRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/accounts', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const { rows } = await gw.db.query<{ balanceMicros: string; heldMicros: string }>(
      `${ACCOUNT_SELECT} WHERE ($1 = '' OR a.name ILIKE '%' || $1 || '%') ORDER BY a.created_at DESC LIMIT 500`,
      [q],
    );
    res.json({ data: rows.map(withCredits) });
  });

  r.get('/accounts/:id', async (req, res) => {
    const { rows } = await mapDbErrors(() => gw.db.query<{ balanceMicros: string; heldMicros: string }>(`${ACCOUNT_SELECT} WHERE a.id = $1`, [req.params.id]));
    if (!rows[0]) throw new NotFoundError(`No account '${req.params.id}'.`, 'account_not_found');
    res.json(withCredits(rows[0]));
  });

  const change = (kind: 'grant' | 'adjustment') => async (req: import('express').Request, res: import('express').Response) => {
    const b = checkBody<CreditChangeInput>('creditChange', req.body);
    const amount = creditsToMicros(b.amount);
    if (kind === 'grant') assertPositive(amount);
    const out = await mapDbErrors(() =>
      changeBalance(gw.db, { accountId: String(req.params.id), kind, amount, note: b.note ?? '', actor: 'admin', idempotencyKey: b.idempotencyKey }),
    );
    res.status(out.applied ? 201 : 200).json({
      applied: out.applied,
      balance: formatCredits(out.balance),
      held: formatCredits(out.held),
      available: formatCredits(out.balance - out.held),
    });
  };
  r.post('/accounts/:id/grants', change('grant'));
  r.post('/accounts/:id/adjustments', change('adjustment'));

  r.get('/accounts/:id/ledger', async (req, res) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 1000);
    const before = req.query.before !== undefined ? Number(req.query.before) : null;
    const { rows } = await mapDbErrors(() =>
      gw.db.query<{ id: string; amount: string }>(
        `SELECT id::text AS id, kind, amount::text AS amount, request_id AS "requestId", note, actor, created_at AS "createdAt"
           FROM ledger WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT ${limit}`,
        [req.params.id, before],
      ),
    );
    res.json({ data: rows.map((l) => ({ ...l, amountCredits: formatCredits(BigInt(l.amount)) })), nextBefore: rows.length === limit ? rows.at(-1)!.id : null });
  });

  r.get('/usage', async (req, res) => {
    const accountId = typeof req.query.accountId === 'string' ? req.query.accountId : undefined;
    const userId = typeof req.query.userId === 'string' ? req.query.userId : undefined;
    res.json(await mapDbErrors(() => usageQuery(gw.db, { accountId, userId }, req.query)));
  });

  return r;
}
