import { useState } from 'react';
import { api } from '../api/client';
import type { List, Plan } from '../api/types';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { DialogFooter, Form, intOrNull, str, SubmitButton, TextField } from '../components/form';
import { toast } from '../components/toast';
import { Badge, Button, Card, ErrorBanner, Loading, Mono, PageHeader } from '../components/ui';
import { num } from '../lib/format';
import { useResource } from '../lib/useResource';

/** Markup is stored in basis points; the form speaks percent ("15" or "2.5"). */
function percentToBps(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return /^\d+(\.\d{1,2})?$/.test(v) ? Math.round(Number(v) * 100) : v;
}

function PlanDialog({ plan, onClose, onSaved }: { plan?: Plan; onClose: () => void; onSaved: () => void }) {
  const editing = plan !== undefined;
  return (
    <Dialog open onClose={onClose} title={editing ? `Edit ${plan.name}` : 'New plan'} description="Limits apply per user and are shared by every gateway instance. Leave a limit empty for none.">
      <Form
        onSubmit={async (data) => {
          const body = {
            name: str(data, 'name') ?? '',
            rpm: intOrNull(data, 'rpm'),
            rpmPerProvider: intOrNull(data, 'rpmPerProvider'),
            tpm: intOrNull(data, 'tpm'),
            maxConcurrentStreams: intOrNull(data, 'maxConcurrentStreams'),
            markupBps: percentToBps(str(data, 'markupBps')) ?? 0,
          };
          if (editing) await api('PATCH', `/plans/${plan.id}`, body);
          else await api('POST', '/plans', { id: str(data, 'id') ?? '', ...body });
          toast(editing ? `${body.name} saved` : `${body.name} created`);
          onSaved();
        }}
      >
        <div className="dialog-body stack">
          <div className="grid-2">
            <TextField name="name" label="Name" defaultValue={plan?.name} placeholder="e.g. Pro" autoFocus />
            {!editing && <TextField name="id" label="ID" placeholder="e.g. pro" hint="Lowercase letters, digits, - and _." />}
          </div>
          <div className="grid-2">
            <TextField name="rpm" label="Requests per minute" inputMode="numeric" defaultValue={plan?.rpm} placeholder="No limit" />
            <TextField name="rpmPerProvider" label="Requests per minute, per provider" inputMode="numeric" defaultValue={plan?.rpmPerProvider} placeholder="No limit" />
          </div>
          <div className="grid-2">
            <TextField name="tpm" label="Tokens per minute" inputMode="numeric" defaultValue={plan?.tpm} placeholder="No limit" />
            <TextField name="maxConcurrentStreams" label="Concurrent streams" inputMode="numeric" defaultValue={plan?.maxConcurrentStreams} placeholder="No limit" />
          </div>
          <TextField name="markupBps" label="Markup on provider prices" suffix="%" inputMode="decimal" defaultValue={plan ? plan.markupBps / 100 : undefined} placeholder="0" hint="Added to every request’s cost, e.g. 15 for +15%." />
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>{editing ? 'Save changes' : 'Create plan'}</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}

const limit = (v: number | null, unit = '') => (v === null ? <span className="muted">Unlimited</span> : `${num(v)}${unit}`);

export function PlansPage() {
  const plans = useResource<List<Plan>>('/plans');
  const [editing, setEditing] = useState<Plan | 'new'>();
  const [deleting, setDeleting] = useState<Plan>();
  const list = plans.data?.data;
  const done = () => { setEditing(undefined); void plans.reload(); };
  return (
    <>
      <PageHeader
        title="Plans & limits"
        description="Rate limits and markup for groups of users. Users move between plans on their page."
        actions={<Button need="plans" variant="primary" icon="plus" onClick={() => setEditing('new')}>New plan</Button>}
      />
      <ErrorBanner error={plans.error} onRetry={plans.reload} />
      {!list && plans.loading && <Loading />}
      {list && (
        <Card flush>
          <div className="table-wrap">
            <table className="table table-cards">
              <thead>
                <tr>
                  <th>Plan</th>
                  <th className="num">RPM</th>
                  <th className="num hide-sm">RPM / provider</th>
                  <th className="num">TPM</th>
                  <th className="num hide-sm">Streams</th>
                  <th className="num">Markup</th>
                  <th className="num">Users</th>
                  <th className="actions-col"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {list.map((p) => (
                  <tr key={p.id}>
                    <td className="card-title-cell">
                      <div>
                        <strong>{p.name}</strong> {p.id === 'default' && <Badge>Default</Badge>}
                        <div className="sub"><Mono>{p.id}</Mono></div>
                      </div>
                    </td>
                    <td data-label="RPM" className="num">{limit(p.rpm)}</td>
                    <td className="num hide-sm">{limit(p.rpmPerProvider)}</td>
                    <td data-label="TPM" className="num">{limit(p.tpm)}</td>
                    <td className="num hide-sm">{limit(p.maxConcurrentStreams)}</td>
                    <td data-label="Markup" className="num">{p.markupBps ? `+${(p.markupBps / 100).toFixed(p.markupBps % 100 ? 2 : 0)}%` : <span className="muted">None</span>}</td>
                    <td data-label="Users" className="num">{num(p.userCount)}</td>
                    <td className="actions-col">
                      <Button need="plans" size="sm" variant="ghost" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>Edit</Button>
                      <Button need="plans" size="sm" variant="ghost" className="danger-text" disabled={p.id === 'default'} onClick={() => setDeleting(p)} aria-label={`Delete ${p.name}`}>Delete</Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
      {editing && <PlanDialog plan={editing === 'new' ? undefined : editing} onClose={() => setEditing(undefined)} onSaved={done} />}
      <ConfirmDialog
        open={deleting !== undefined}
        onClose={() => setDeleting(undefined)}
        title={`Delete ${deleting?.name ?? ''}?`}
        confirmLabel="Delete plan"
        onConfirm={async () => {
          await api('DELETE', `/plans/${deleting!.id}`);
          toast(`${deleting!.name} deleted`);
          setDeleting(undefined);
          await plans.reload();
        }}
      >
        {deleting?.userCount ? `${deleting.userCount} user${deleting.userCount === 1 ? ' is' : 's are'} on this plan; move them to another plan first.` : 'No users are on this plan.'}
      </ConfirmDialog>
    </>
  );
}
