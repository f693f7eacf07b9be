import { useState } from 'react';
import { api, withQuery } from '../api/client';
import { usePages } from '../lib/usePages';
import type { Account, CreditChangeResult, LedgerEntry, List } from '../api/types';
import { Dialog } from '../components/Dialog';
import { DialogFooter, Form, str, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';
import { toast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, LoadMore, Mono, PageHeader, SearchBox, Stat, type Tone } from '../components/ui';
import { columnPlaces, credits, when } from '../lib/format';
import { ExportButton } from '../components/ExportButton';
import { Link } from '../lib/router';
import { useResource } from '../lib/useResource';

/** crypto.randomUUID needs a secure context; the panel may be served over plain http inside a network. */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Grant credits (positive) or adjust them (either sign; never below what requests in flight hold). */
export function CreditDialog({ accountId, kind, onClose, onDone }: { accountId: string; kind: 'grant' | 'adjustment'; onClose: () => void; onDone: () => void }) {
  // One idempotency key per dialog: a double submit (or a retry after a network error) applies once.
  const [idempotencyKey] = useState(randomId);
  const grant = kind === 'grant';
  return (
    <Dialog open onClose={onClose} title={grant ? 'Grant credits' : 'Adjust credits'} description={grant ? 'Adds credits to the account. Recorded in its ledger.' : 'Corrects the balance up or down (e.g. -2.5). It cannot go below what requests in flight hold.'}>
      <Form
        onSubmit={async (data) => {
          const r = await api<CreditChangeResult>('POST', `/accounts/${accountId}/${grant ? 'grants' : 'adjustments'}`, { amount: str(data, 'amount') ?? '', note: str(data, 'note'), idempotencyKey });
          toast(`${grant ? 'Granted' : 'Adjusted'}: balance is now ${credits(r.balance)} credits`);
          onDone();
        }}
      >
        <div className="dialog-body stack">
          <TextField name="amount" label="Amount" suffix="credits" inputMode="decimal" placeholder={grant ? '100' : '-2.5'} autoFocus hint="Up to six decimals." />
          <TextField name="note" label="Note" placeholder={grant ? 'e.g. March top-up, invoice 1042' : 'e.g. refund for outage on 3 May'} />
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>{grant ? 'Grant credits' : 'Apply adjustment'}</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}

const KIND_TONE: Record<LedgerEntry['kind'], Tone> = { grant: 'success', usage: 'neutral', refund: 'info', adjustment: 'warning' };

function Ledger({ accountId, version }: { accountId: string; version: number }) {
  const ledger = usePages<LedgerEntry>(`/accounts/${accountId}/ledger?limit=50`, version);
  const entries = ledger.rows ?? [];
  const places = columnPlaces(entries.map((l) => l.amountCredits));
  return (
    <Card title="Ledger" description="Append-only: every grant, charge, refund and adjustment. The balance is its sum." actions={<ExportButton path={`/accounts/${accountId}/ledger.csv`} size="sm" />} flush>
      <ErrorBanner error={ledger.error} onRetry={ledger.reload} />
      {entries.length === 0 && !ledger.loading && <EmptyState icon="credits" title="No entries yet">Grants and usage charges appear here.</EmptyState>}
      {entries.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards ledger-table">
            <thead>
              <tr><th>When</th><th>Kind</th><th className="num">Amount</th><th>Note / request</th><th className="hide-sm">By</th></tr>
            </thead>
            <tbody>
              {entries.map((l) => (
                <tr key={l.id}>
                  <td className="time-cell card-title-cell">{when(l.createdAt)}</td>
                  <td data-label="Kind"><Badge tone={KIND_TONE[l.kind]}>{l.kind[0]!.toUpperCase() + l.kind.slice(1)}</Badge></td>
                  <td data-label="Amount" className={`num amount-cell ${l.amountCredits.startsWith('-') ? 'neg' : 'pos'}`}>{l.amountCredits.startsWith('-') ? '' : '+'}{credits(l.amountCredits, places)}</td>
                  <td data-label={l.note ? 'Note' : 'Request'} className="note-cell">
                    {l.kind === 'usage' && l.requestId ? (
                      <Link to={`/requests?q=${encodeURIComponent(l.requestId)}`} aria-label={`Request ${l.requestId}`}><Mono>{l.requestId}</Mono></Link>
                    ) : (
                      l.note || (l.requestId ? <Mono>{l.requestId}</Mono> : <span className="muted">—</span>)
                    )}
                  </td>
                  <td className="hide-sm">{l.actor || <span className="muted">gateway</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore loading={ledger.loading} hasMore={ledger.hasMore} onMore={ledger.more} label="Load older entries" />
    </Card>
  );
}

export function AccountPage({ id }: { id: string }) {
  const account = useResource<Account>(`/accounts/${id}`);
  const [dialog, setDialog] = useState<'grant' | 'adjustment'>();
  const [version, setVersion] = useState(0);
  const a = account.data;
  return (
    <>
      <PageHeader
        back={<Link to="/credits" className="back-link"><Icon name="back" /> Credits</Link>}
        title={a?.name ?? 'Account'}
        description={a && <>{a.userCount === 1 ? '1 user shares' : `${a.userCount} users share`} this balance · <Mono>{a.id}</Mono></>}
        actions={
          <>
            <Button need="credits" onClick={() => setDialog('adjustment')}>Adjust</Button>
            <Button need="credits" variant="primary" icon="plus" onClick={() => setDialog('grant')}>Grant credits</Button>
          </>
        }
      />
      <ErrorBanner error={account.error} onRetry={account.reload} />
      {!a && account.loading && <Loading />}
      {a && (
        <div className="stack-lg">
          <div className="stats">
            <Stat label="Balance" value={credits(a.balance)} hint="credits" />
            <Stat label="Held" value={credits(a.held)} hint="reserved: requests in flight and gateway instances' credit leases" />
            <Stat label="Available" value={credits(a.available)} hint="balance − held" tone={Number(a.available) <= 0 ? 'danger' : undefined} />
          </div>
          <Ledger accountId={id} version={version} />
        </div>
      )}
      {dialog && <CreditDialog accountId={id} kind={dialog} onClose={() => setDialog(undefined)} onDone={() => { setDialog(undefined); setVersion((v) => v + 1); void account.reload(); }} />}
    </>
  );
}

export function CreditsPage() {
  const [q, setQ] = useState('');
  const accounts = useResource<List<Account>>(withQuery('/accounts', { q }));
  const list = accounts.data?.data;
  const places = columnPlaces((list ?? []).flatMap((a) => [a.balance, a.held, a.available]));
  return (
    <>
      <PageHeader title="Credits" description="Prepaid balances. Requests hold their worst-case cost, then settle the exact amount; balances never go below zero." />
      <div className="toolbar">
        <SearchBox value={q} onChange={setQ} label="Search accounts" />
      </div>
      <ErrorBanner error={accounts.error} onRetry={accounts.reload} />
      {!list && accounts.loading && <Loading />}
      {list && (
        <Card flush>
          {list.length === 0 ? (
            <EmptyState icon="credits" title="No accounts">Accounts are opened when you create users.</EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table table-hover table-cards">
                <thead>
                  <tr><th>Account</th><th className="num">Users</th><th className="num">Balance</th><th className="num">Held</th><th className="num">Available</th></tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <tr key={a.id}>
                      <td className="card-title-cell"><Link to={`/credits/${a.id}`} className="row-link">{a.name}</Link></td>
                      <td data-label="Users" className="num">{a.userCount}</td>
                      <td data-label="Balance" className="num">{credits(a.balance, places)}</td>
                      <td data-label="Held" className="num">{credits(a.held, places)}</td>
                      <td data-label="Available" className={`num ${Number(a.available) <= 0 ? 'neg' : ''}`}>{credits(a.available, places)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
    </>
  );
}
