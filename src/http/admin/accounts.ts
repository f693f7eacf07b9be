import { Router, type Request, type Response } from 'express';
import { creditsView, getAccount, ledgerPage, ledgerPages, listAccounts } from '../../credits/accounts.js';
import { assertPositive, changeBalance } from '../../credits/ledger.js';
import { creditsToMicros, formatCredits } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { CreditChange, LEDGER_CSV_COLUMNS, type CreditChangeResult, type LedgerEntry } from '../../sdk/admin-api/index.js';
import { readUsageQuery } from '../account/usage-query.js';
import { usageReport } from '../../usage/usage-report.js';
import { NotFoundError } from '../../errors.js';
import { actorOf } from './auth.js';
import { auditedWrite } from './audited.js';
import { mapDbErrors } from './db-errors.js';
import { clampInt, optionalString } from '../query.js';
import { bodyParser } from './schemas.js';
import { csvColumns, fileTime, sendCsv } from './csv.js';

const parseCreditChange = bodyParser(CreditChange);

const LEDGER_CSV = csvColumns<LedgerEntry, (typeof LEDGER_CSV_COLUMNS)[number]>(
  LEDGER_CSV_COLUMNS,
  {
    id: (l) => l.id,
    created_at: (l) => l.createdAt,
    kind: (l) => l.kind,
    amount_credits: (l) => l.amountCredits,
    request_id: (l) => l.requestId,
    note: (l) => l.note,
    actor: (l) => l.actor,
  },
  ['request_id', 'note', 'actor'],
);

/** Accounts, credit grants and adjustments, ledgers, and usage across everyone. */
export function accountAdminRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/accounts', async (req, res) => {
    res.json({ data: await listAccounts(gw.db, typeof req.query.q === 'string' ? req.query.q : '') });
  });

  r.get('/accounts/:id', async (req, res) => {
    const account = await mapDbErrors(() => getAccount(gw.db, req.params.id));
    if (!account) throw new NotFoundError(`No account '${req.params.id}'.`, 'account_not_found');
    res.json(account);
  });

  const change = (kind: 'grant' | 'adjustment') => async (req: Request, res: Response) => {
    const body = parseCreditChange(req.body);
    const amount = creditsToMicros(body.amount);
    if (kind === 'grant') assertPositive(amount);
    const accountId = String(req.params.id);
    const out = await auditedWrite(gw, res, async (tx, audit) => {
      const change = await changeBalance(tx, { accountId, kind, amount, note: body.note ?? '', actor: actorOf(res).label, idempotencyKey: body.idempotencyKey });
      if (change.applied) {
        await audit({
          action: `credits.${kind}`,
          target: { type: 'account', id: accountId },
          before: { balance: formatCredits(change.balance - amount) },
          after: { balance: formatCredits(change.balance), amount: body.amount, note: body.note ?? '' },
        });
      }
      return change;
    });
    const result: CreditChangeResult = { applied: out.applied, ...creditsView(out.balance, out.held) };
    res.status(out.applied ? 201 : 200).json(result);
  };
  r.post('/accounts/:id/grants', change('grant'));
  r.post('/accounts/:id/adjustments', change('adjustment'));

  r.get('/accounts/:id/ledger', async (req, res) => {
    const page = { limit: clampInt(req.query.limit, 100, 1, 1000), before: optionalString(req.query.before) };
    res.json(await mapDbErrors(() => ledgerPage(gw.db, req.params.id, page)));
  });

  /** The whole ledger as CSV, newest first, streamed. */
  r.get('/accounts/:id/ledger.csv', async (req, res) => {
    const account = await mapDbErrors(() => getAccount(gw.db, req.params.id));
    if (!account) throw new NotFoundError(`No account '${req.params.id}'.`, 'account_not_found');
    await sendCsv(res, `ledger-${account.id}-${fileTime(new Date().toISOString())}.csv`, LEDGER_CSV, ledgerPages(gw.db, account.id));
  });

  r.get('/usage', async (req, res) => {
    const accountId = typeof req.query.accountId === 'string' ? req.query.accountId : undefined;
    const userId = typeof req.query.userId === 'string' ? req.query.userId : undefined;
    res.json(await mapDbErrors(() => usageReport(gw.db, { accountId, userId }, readUsageQuery(req.query))));
  });

  return r;
}
