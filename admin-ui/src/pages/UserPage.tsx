import { useState } from 'react';
import { api } from '../api/client';
import type { ApiKey, List, Plan, User } from '../api/types';
import { Form, SelectField, str, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';
import { toast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, Mono, PageHeader, Stat } from '../components/ui';
import { credits, day, microsToCredits, relative } from '../lib/format';
import { Link } from '../lib/router';
import { useResource } from '../lib/useResource';
import { CreditDialog } from './CreditsPage';
import { KeyLimitsDialog, UserCapsCard } from './budgets';
import { keyStatus, NewKeyDialog, RevokeKeyDialog } from './keys';
import { RequestsCard } from './RequestsCard';

function Keys({ user, onChange }: { user: User; onChange: () => void }) {
  const keys = useResource<List<ApiKey>>(`/users/${user.id}/keys`);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey>();
  const [limiting, setLimiting] = useState<ApiKey>();
  const list = keys.data?.data;
  return (
    <Card title="API keys" description="Apps send a key as their OpenAI API key. Secrets are shown once, at creation." actions={<Button need="customers" icon="key" variant="primary" onClick={() => setCreating(true)}>Create key</Button>} flush>
      <ErrorBanner error={keys.error} onRetry={keys.reload} />
      {!list && keys.loading && <Loading />}
      {list?.length === 0 && <EmptyState icon="key" title="No keys yet">Create one to let this user call the gateway.</EmptyState>}
      {list && list.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards">
            <thead>
              <tr><th>Key</th><th>Name</th><th>Status</th><th>Created</th><th>Expires</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id}>
                  <td className="card-title-cell"><Mono>{k.prefix}…</Mono></td>
                  <td data-label="Name">{k.name || <span className="muted">—</span>}</td>
                  <td data-label="Status">{keyStatus(k)}</td>
                  <td data-label="Created">{relative(k.createdAt)}</td>
                  <td data-label="Expires">{k.expiresAt ? day(k.expiresAt) : <span className="muted">Never</span>}</td>
                  <td className="actions-col">
                    {!k.revokedAt && <Button need="customers" size="sm" variant="ghost" onClick={() => setLimiting(k)} aria-label={`Limits of key ${k.name || k.prefix}`}>Limits</Button>}
                    {!k.revokedAt && <Button need="customers" size="sm" variant="ghost" className="danger-text" onClick={() => setRevoking(k)} aria-label={`Revoke key ${k.name || k.prefix}`}>Revoke</Button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && <NewKeyDialog userId={user.id} email={user.email} onClose={() => setCreating(false)} onCreated={() => { void keys.reload(); onChange(); }} />}
      {limiting && <KeyLimitsDialog apiKey={limiting} onClose={() => setLimiting(undefined)} />}
      <RevokeKeyDialog apiKey={revoking} onClose={() => setRevoking(undefined)} onRevoked={() => { setRevoking(undefined); void keys.reload(); onChange(); }} />
    </Card>
  );
}

export function UserPage({ id }: { id: string }) {
  const user = useResource<User>(`/users/${id}`);
  const plans = useResource<List<Plan>>('/plans');
  const [granting, setGranting] = useState(false);
  const u = user.data;
  const setDisabled = async (disabled: boolean) => {
    try {
      await api('PATCH', `/users/${id}`, { disabled });
      toast(disabled ? 'User disabled: their keys stop working' : 'User enabled');
      await user.reload();
    } catch (err) {
      toast((err as Error).message, 'danger');
    }
  };
  return (
    <>
      <PageHeader
        back={<Link to="/users" className="back-link"><Icon name="back" /> Users</Link>}
        title={<span className="title-row">{u?.email ?? 'User'} {u && (u.disabled ? <Badge tone="danger" dot>Disabled</Badge> : <Badge tone="success" dot>Active</Badge>)}</span>}
        description={u && <>{u.name ? `${u.name} · ` : ''}Plan <strong>{u.planId}</strong> · account {u.accountName} · since {day(u.createdAt)}</>}
        actions={u && (u.disabled ? <Button need="customers" onClick={() => setDisabled(false)}>Enable user</Button> : <Button need="customers" className="danger-text" onClick={() => setDisabled(true)}>Disable user</Button>)}
      />
      <ErrorBanner error={user.error} onRetry={user.reload} />
      {!u && user.loading && <Loading />}
      {u && (
        <div className="stack-lg">
          <div className="stats">
            <Stat label="Balance" value={credits(microsToCredits(u.balanceMicros))} hint="credits, shared by the account" />
            <Stat label="Held by requests in flight" value={credits(microsToCredits(u.heldMicros))} />
            <Stat label="Active keys" value={u.activeKeys} />
            <div className="stat stat-actions">
              <Button need="credits" variant="primary" icon="plus" onClick={() => setGranting(true)}>Grant credits</Button>
              <Link to={`/credits/${u.accountId}`} className="text-link">Account ledger →</Link>
            </div>
          </div>
          <div className="two-col">
            <Keys user={u} onChange={() => void user.reload()} />
            <div className="stack-lg">
            <Card title="Profile">
              <Form
                need="customers"
                className="stack"
                onSubmit={async (data) => {
                  await api('PATCH', `/users/${id}`, { name: String(data.get('name') ?? ''), planId: str(data, 'planId') });
                  toast('Profile saved');
                  await user.reload();
                }}
              >
                <TextField name="name" label="Name" defaultValue={u.name} />
                <SelectField name="planId" label="Plan" defaultValue={u.planId} options={(plans.data?.data ?? [{ id: u.planId, name: u.planId }]).map((p) => ({ value: p.id, label: p.name }))} />
                <div className="card-form-footer"><SubmitButton>Save profile</SubmitButton></div>
              </Form>
            </Card>
            <UserCapsCard userId={id} />
            </div>
          </div>
          <RequestsCard filter={{ userId: id }} title="Recent requests" limit={10} />
        </div>
      )}
      {granting && u && <CreditDialog accountId={u.accountId} kind="grant" onClose={() => setGranting(false)} onDone={() => { setGranting(false); void user.reload(); }} />}
    </>
  );
}
