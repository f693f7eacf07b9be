import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { AdminAccount, AdminRole, AdminSession, AdminSetup, List } from '../api/types';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { CheckField, DialogFooter, Form, SelectField, str, SubmitButton, TextField } from '../components/form';
import { toast } from '../components/toast';
import { Badge, Button, Card, ErrorBanner, Loading, PageHeader, type Tone } from '../components/ui';
import { Link, navigate, usePath } from '../lib/router';
import { when } from '../lib/format';
import { useResource } from '../lib/useResource';
import './team.css';

const ROLE_LABEL: Record<AdminRole, string> = { owner: 'Owner', admin: 'Admin', billing: 'Billing', viewer: 'Viewer' };
const ROLE_TONE: Record<AdminRole, Tone> = { owner: 'accent', admin: 'info', billing: 'warning', viewer: 'neutral' };
const ROLE_OPTIONS = (['viewer', 'billing', 'admin', 'owner'] as const).map((r) => ({ value: r, label: ROLE_LABEL[r] }));
const ROLE_HINT = 'Viewer: reads everything. Billing: also plans and credits. Admin: everything but admin accounts. Owner: everything.';

export const RoleBadge = ({ role }: { role: AdminRole }) => <Badge tone={ROLE_TONE[role]}>{ROLE_LABEL[role]}</Badge>;

/** The signed-in caller, at the foot of the navigation. */
export function WhoAmI({ me }: { me: AdminSession }) {
  return (
    <div className="whoami signout">
      {me.account ? (
        <Link to="/profile" className="whoami-name" title="Your account">
          {me.account.name || me.account.email}
        </Link>
      ) : (
        <span className="whoami-name">Admin token</span>
      )}
      <span className="whoami-role">{ROLE_LABEL[me.role]}</span>
    </div>
  );
}

/** On first start, the token holder is asked to create the first owner account. */
export function FirstOwnerBanner({ me }: { me: AdminSession }) {
  const path = usePath();
  const [needed, setNeeded] = useState(false);
  // Checked again on every page change: the team page is where the first owner gets created.
  useEffect(() => {
    if (me.kind !== 'token') return;
    let live = true;
    api<AdminSetup>('GET', '/session/setup').then((s) => live && setNeeded(!s.hasAccounts), () => undefined);
    return () => {
      live = false;
    };
  }, [me.kind, path]);
  if (me.kind !== 'token' || !needed || path === '/team') return null;
  return (
    <div className="banner banner-info" role="status">
      <span>You are signed in with the admin token. Create the first owner account so people sign in with their own email and password.</span>
      <Button size="sm" variant="primary" onClick={() => navigate('/team?new=owner')}>
        Create owner
      </Button>
    </div>
  );
}

function AccountDialog({ account, firstOwner, onClose, onSaved }: { account?: AdminAccount; firstOwner?: boolean; onClose: () => void; onSaved: () => void }) {
  const editing = account !== undefined;
  return (
    <Dialog open onClose={onClose} title={editing ? `Edit ${account.email}` : 'New admin account'} description={editing ? 'A new password or disabling the account signs it out everywhere.' : 'The person signs in with this email and password; share the password safely.'}>
      <Form
        onSubmit={async (data) => {
          const password = str(data, 'password');
          if (editing) {
            await api('PATCH', `/team/${account.id}`, { name: String(data.get('name') ?? ''), role: data.get('role'), disabled: data.get('disabled') === 'on', ...(password ? { password } : {}) });
            toast(`${account.email} saved`);
          } else {
            const email = str(data, 'email') ?? '';
            await api('POST', '/team', { email, name: str(data, 'name'), role: data.get('role'), password: password ?? '' });
            toast(`${email} can now sign in`);
          }
          onSaved();
        }}
      >
        <div className="dialog-body stack">
          {!editing && <TextField name="email" label="Email" type="email" inputMode="email" autoFocus placeholder="name@example.com" />}
          <TextField name="name" label="Name" defaultValue={account?.name} placeholder="Optional" autoFocus={editing} />
          <SelectField name="role" label="Role" defaultValue={account?.role ?? (firstOwner ? 'owner' : 'viewer')} options={ROLE_OPTIONS} hint={ROLE_HINT} />
          <TextField name="password" label={editing ? 'New password' : 'Password'} type="password" autoComplete="new-password" placeholder={editing ? 'Leave empty to keep it' : undefined} hint="At least 12 characters." />
          {editing && <CheckField name="disabled" label="Disabled (cannot sign in)" defaultChecked={account.disabled} />}
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>{editing ? 'Save changes' : 'Create account'}</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}

/** Admin accounts (owners only): who may sign in to the panel, with which role. */
export function TeamPage() {
  const team = useResource<List<AdminAccount>>('/team');
  const firstOwner = new URLSearchParams(location.search).get('new') === 'owner';
  const [editing, setEditing] = useState<AdminAccount | 'new' | undefined>(firstOwner ? 'new' : undefined);
  const [deleting, setDeleting] = useState<AdminAccount>();
  const list = team.data?.data;
  const done = () => {
    setEditing(undefined);
    if (firstOwner) navigate('/team', true);
    void team.reload();
  };
  return (
    <>
      <PageHeader
        title="Admin accounts"
        description="People who sign in to this panel, and what their role lets them do. The admin token acts as an owner."
        actions={<Button variant="primary" icon="plus" onClick={() => setEditing('new')}>New account</Button>}
      />
      <ErrorBanner error={team.error} onRetry={team.reload} />
      {!list && team.loading && <Loading />}
      {list && (
        <Card flush>
          {list.length === 0 ? (
            <p className="card-note">No accounts yet. Create the first owner: from then on, people sign in with their own email and password.</p>
          ) : (
            <div className="table-wrap">
              <table className="table table-cards">
                <thead>
                  <tr>
                    <th>Account</th>
                    <th>Role</th>
                    <th className="hide-sm">Last sign-in</th>
                    <th className="actions-col"><span className="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <tr key={a.id}>
                      <td className="card-title-cell">
                        <div>
                          <strong>{a.name || a.email}</strong> {a.disabled && <Badge tone="danger">Disabled</Badge>}
                          {a.name && <div className="sub">{a.email}</div>}
                        </div>
                      </td>
                      <td data-label="Role"><RoleBadge role={a.role} /></td>
                      <td data-label="Last sign-in" className="hide-sm card-show">{a.lastSignInAt ? when(a.lastSignInAt) : <span className="muted">Never</span>}</td>
                      <td className="actions-col">
                        <Button size="sm" variant="ghost" onClick={() => setEditing(a)} aria-label={`Edit ${a.email}`}>Edit</Button>
                        <Button size="sm" variant="ghost" className="danger-text" onClick={() => setDeleting(a)} aria-label={`Delete ${a.email}`}>Delete</Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
      {editing && <AccountDialog account={editing === 'new' ? undefined : editing} firstOwner={firstOwner || list?.length === 0} onClose={() => setEditing(undefined)} onSaved={done} />}
      <ConfirmDialog
        open={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
        title={`Delete ${deleting?.email ?? ''}?`}
        confirmLabel="Delete account"
        onConfirm={async () => {
          await api('DELETE', `/team/${deleting!.id}`);
          toast(`${deleting!.email} deleted`);
          setDeleting(undefined);
          await team.reload();
        }}
      >
        They are signed out at once and cannot sign in again. The audit log keeps what they did.
      </ConfirmDialog>
    </>
  );
}

/** The signed-in account: its role, and a password change. */
export function ProfilePage() {
  const me = useResource<AdminSession>('/session');
  const account = me.data?.account;
  return (
    <>
      <PageHeader title="Your account" description={account ? account.email : 'You are signed in with the admin token, which has no account or password.'} />
      {account && (
        <div className="two-col">
          <Card title="Change password" description="Other sessions of this account are signed out.">
            <Form
              className="stack"
              onSubmit={async (data) => {
                const newPassword = String(data.get('newPassword') ?? '');
                if (newPassword !== String(data.get('repeat') ?? '')) throw new Error('The new passwords do not match.');
                await api('POST', '/session/password', { currentPassword: String(data.get('currentPassword') ?? ''), newPassword });
                toast('Password changed');
                (document.activeElement as HTMLElement | null)?.blur();
              }}
            >
              <TextField name="currentPassword" label="Current password" type="password" autoComplete="current-password" />
              <TextField name="newPassword" label="New password" type="password" autoComplete="new-password" hint="At least 12 characters." />
              <TextField name="repeat" label="New password, again" type="password" autoComplete="new-password" />
              <div className="card-form-footer">
                <SubmitButton>Change password</SubmitButton>
              </div>
            </Form>
          </Card>
          <Card title="Role">
            <p>
              <RoleBadge role={account.role} />
            </p>
            <p className="footnote">{ROLE_HINT}</p>
          </Card>
        </div>
      )}
    </>
  );
}
