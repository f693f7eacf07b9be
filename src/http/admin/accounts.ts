import { Router, type Request, type Response } from 'express';
import { creditsView, getAccount, ledgerPage, ledgerPages, listAccounts } from '../../credits/accounts.js';
import { assertPositive, changeBalance } from '../../credits/ledger.js';
import { creditsToMicros } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { CreditChange, type CreditChangeResult, type LedgerEntry } from '../../sdk/admin-api/index.js';
import { readUsageQuery } from '../account/usage-query.js';
import { usageReport } from '../../usage/usage-report.js';
import { NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { clampInt, optionalString } from '../query.js';
import { bodyParser } from './schemas.js';
import { sendCsv, type CsvColumn } from './csv.js';
import { fileTime } from './requests.js';

const parseCreditChange = bodyParser(CreditChange);

const LEDGER_CSV: CsvColumn<LedgerEntry>[] = [
  { header: 'id', value: (l) => l.id },
  { header: 'created_at', value: (l) => l.createdAt },
  { header: 'kind', value: (l) => l.kind },
  { header: 'amount_credits', value: (l) => l.amountCredits },
  { header: 'request_id', value: (l) => l.requestId, text: true },
  { header: 'note', value: (l) => l.note, text: true },
  { header: 'actor', value: (l) => l.actor, text: true },
];

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
    const out = await mapDbErrors(() =>
      changeBalance(gw.db, { accountId: String(req.params.id), kind, amount, note: body.note ?? '', actor: 'admin', idempotencyKey: body.idempotencyKey }),
    );
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
