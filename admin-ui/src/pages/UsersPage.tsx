import { useState } from 'react';
import { api, withQuery } from '../api/client';
import type { Account, ApiKey, List, Plan, User } from '../api/types';
import { Dialog } from '../components/Dialog';
import { DialogFooter, Field, Form, SelectField, str, SubmitButton, TextField } from '../components/form';
import { toast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, Mono, PageHeader, SearchBox, Segmented } from '../components/ui';
import { columnPlaces, credits, day, microsToCredits, relative } from '../lib/format';
import { Link, navigate } from '../lib/router';
import { useResource } from '../lib/useResource';
import { KeyLimitsDialog } from './budgets';
import { keyStatus, RevokeKeyDialog } from './keys';

function NewUserDialog({ onClose }: { onClose: () => void }) {
  const plans = useResource<List<Plan>>('/plans');
  const accounts = useResource<List<Account>>('/accounts');
  const [accountId, setAccountId] = useState('');
  return (
    <Dialog open onClose={onClose} title="New user" description="A new user gets their own credit account unless you add them to an existing one.">
      <Form
        onSubmit={async (data) => {
          const user = await api<User>('POST', '/users', {
            email: str(data, 'email') ?? '',
            name: str(data, 'name'),
            planId: str(data, 'planId'),
            accountId: str(data, 'accountId'),
            initialCredits: str(data, 'initialCredits'),
          });
          toast(`${user.email} created`);
          onClose();
          navigate(`/users/${user.id}`);
        }}
      >
        <div className="dialog-body stack">
          <TextField name="email" label="Email" type="email" inputMode="email" autoComplete="off" autoFocus />
          <TextField name="name" label="Name" placeholder="Optional" />
          <Field name="accountId" label="Account" hint={accountId ? 'They draw on this account’s balance, shared with its other users.' : 'A new account of their own, named after their email.'}>
            {(c) => (
              <select className="input" value={accountId} onChange={(e) => setAccountId(e.target.value)} {...c}>
                <option value="">New account</option>
                {(accounts.data?.data ?? []).map((a) => (
                  <option key={a.id} value={a.id}>{a.name}</option>
                ))}
              </select>
            )}
          </Field>
          <div className="grid-2">
            <SelectField name="planId" label="Plan" defaultValue="default" options={(plans.data?.data ?? [{ id: 'default', name: 'Default' }]).map((p) => ({ value: p.id, label: p.name }))} />
            <TextField name="initialCredits" label={accountId ? 'Credits to add to the account' : 'Initial credits'} inputMode="decimal" suffix="cr" placeholder="0" />
          </div>
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>Create user</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}

function UsersTable() {
  const [q, setQ] = useState('');
  const users = useResource<List<User>>(withQuery('/users', { q }));
  const [adding, setAdding] = useState(false);
  const list = users.data?.data;
  const places = columnPlaces((list ?? []).map((u) => microsToCredits(u.balanceMicros)));
  return (
    <>
      <div className="toolbar">
        <SearchBox value={q} onChange={setQ} label="Search by email or name" />
        <Button need="customers" variant="primary" icon="plus" onClick={() => setAdding(true)}>New user</Button>
      </div>
      <ErrorBanner error={users.error} onRetry={users.reload} />
      {!list && users.loading && <Loading />}
      {list && (
        <Card flush>
          {list.length === 0 ? (
            <EmptyState icon="users" title={q ? 'No users match' : 'No users yet'}>{q ? 'Try another search.' : 'Create a user, give them credits and an API key.'}</EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table table-hover table-cards">
                <thead>
                  <tr><th>User</th><th className="hide-sm">Plan</th><th className="num">Balance</th><th className="num hide-sm">Active keys</th><th>Status</th><th className="hide-sm">Created</th></tr>
                </thead>
                <tbody>
                  {list.map((u) => (
                    <tr key={u.id}>
                      <td className="card-title-cell">
                        <Link to={`/users/${u.id}`} className="row-link">{u.email}</Link>
                        {u.name && <div className="sub">{u.name}</div>}
                      </td>
                      <td className="hide-sm">{u.planId}</td>
                      <td data-label="Balance" className="num">{credits(microsToCredits(u.balanceMicros), places)}</td>
                      <td className="num hide-sm">{u.activeKeys}</td>
                      <td data-label="Status">{u.disabled ? <Badge tone="danger" dot>Disabled</Badge> : <Badge tone="success" dot>Active</Badge>}</td>
                      <td className="hide-sm">{day(u.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
      {adding && <NewUserDialog onClose={() => setAdding(false)} />}
    </>
  );
}

function KeysTable() {
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<'active' | 'revoked' | 'all'>('active');
  const keys = useResource<List<ApiKey>>(withQuery('/keys', { q, status }));
  const [revoking, setRevoking] = useState<ApiKey>();
  const [limiting, setLimiting] = useState<ApiKey>();
  const list = keys.data?.data;
  return (
    <>
      <div className="toolbar">
        <SearchBox value={q} onChange={setQ} label="Search by key prefix, name or owner" />
        <Segmented label="Key status" value={status} onChange={setStatus} options={[{ value: 'active', label: 'Active' }, { value: 'revoked', label: 'Revoked' }, { value: 'all', label: 'All' }]} />
      </div>
      <ErrorBanner error={keys.error} onRetry={keys.reload} />
      {!list && keys.loading && <Loading />}
      {list && (
        <Card flush>
          {list.length === 0 ? (
            <EmptyState icon="key" title="No keys here">Keys are created on a user’s page.</EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table table-cards">
                <thead>
                  <tr><th>Key</th><th>Owner</th><th>Status</th><th className="hide-sm">Created</th><th className="hide-sm">Expires</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr>
                </thead>
                <tbody>
                  {list.map((k) => (
                    <tr key={k.id}>
                      <td className="card-title-cell"><div><Mono>{k.prefix}…</Mono>{k.name && <div className="sub">{k.name}</div>}</div></td>
                      <td data-label="Owner"><Link to={`/users/${k.userId}`}>{k.userEmail}</Link></td>
                      <td data-label="Status">{keyStatus(k)}</td>
                      <td className="hide-sm">{relative(k.createdAt)}</td>
                      <td className="hide-sm">{k.expiresAt ? day(k.expiresAt) : <span className="muted">Never</span>}</td>
                      <td className="actions-col">
                        {!k.revokedAt && <Button need="customers" size="sm" variant="ghost" onClick={() => setLimiting(k)} aria-label={`Limits of key ${k.prefix}`}>Limits</Button>}
                        {!k.revokedAt && <Button need="customers" size="sm" variant="ghost" className="danger-text" onClick={() => setRevoking(k)} aria-label={`Revoke key ${k.prefix}`}>Revoke</Button>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
      {limiting && <KeyLimitsDialog apiKey={limiting} onClose={() => setLimiting(undefined)} />}
      <RevokeKeyDialog apiKey={revoking} onClose={() => setRevoking(undefined)} onRevoked={() => { setRevoking(undefined); void keys.reload(); }} />
    </>
  );
}

export function UsersPage({ tab = 'users' }: { tab?: 'users' | 'keys' }) {
  return (
    <>
      <PageHeader title="Users & API keys" description="People and apps that call the gateway, their plans and their keys." />
      <div className="tabs" role="tablist" aria-label="Users and keys">
        <Link to="/users" role="tab" aria-selected={tab === 'users'} className={`tab ${tab === 'users' ? 'active' : ''}`}>Users</Link>
        <Link to="/users/keys" role="tab" aria-selected={tab === 'keys'} className={`tab ${tab === 'keys' ? 'active' : ''}`}>API keys</Link>
      </div>
      {tab === 'users' ? <UsersTable /> : <KeysTable />}
    </>
  );
}
