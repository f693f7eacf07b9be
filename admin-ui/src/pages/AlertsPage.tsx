import { useState } from 'react';
import { api } from '../api/client';
import type { Account, Alert, ApiKey, List, User, Webhook, WebhookDelivery, WebhookWithSecret } from '../api/types';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { DialogFooter, Form, SelectField, str, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';
import { toast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, Mono, PageHeader, Segmented, Switch } from '../components/ui';
import { credits, relative, when } from '../lib/format';
import { useResource } from '../lib/useResource';

/** Alerts (low balance, budget thresholds) and the signed webhooks they are delivered to, with the delivery log. */

/** The signing secret, shown once after creation or rotation. */
function SecretDialog({ hook, onClose }: { hook: WebhookWithSecret; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Dialog open onClose={onClose} title="Copy the signing secret" description={`For ${hook.name || hook.url}. It is shown this once; Tollgate keeps it encrypted.`}>
      <div className="dialog-body stack">
        <div className="secret-box">
          <label className="sr-only" htmlFor="webhook-secret">Signing secret</label>
          <input id="webhook-secret" className="input mono" readOnly value={hook.secret} onFocus={(e) => e.currentTarget.select()} autoFocus />
          <Button
            icon={copied ? 'check' : 'copy'}
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(hook.secret);
                setCopied(true);
              } catch {
                toast('Copy failed: select the secret and copy it by hand.', 'danger');
              }
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        </div>
        <p className="muted">
          Each delivery carries <Mono>x-tollgate-timestamp</Mono> and <Mono>x-tollgate-signature: v1=…</Mono>, the hex HMAC-SHA256 of
          <Mono> "&lt;timestamp&gt;.&lt;raw body&gt;"</Mono> with this secret. Reject a delivery whose signature differs or whose timestamp is old.
        </p>
      </div>
      <div className="dialog-footer">
        <Button variant="primary" onClick={onClose}>Done</Button>
      </div>
    </Dialog>
  );
}

const STATE_TONE = { delivered: 'success', pending: 'warning', failed: 'danger' } as const;

function Deliveries({ hook }: { hook: Webhook }) {
  const log = useResource<List<WebhookDelivery>>(`/webhooks/${hook.id}/deliveries?limit=50`, 5_000);
  const list = log.data?.data;
  return (
    <Card title={<>Deliveries to {hook.name || <Mono>{hook.url}</Mono>}</>} description="Newest first. Failed attempts are retried with exponential backoff." flush>
      <ErrorBanner error={log.error} onRetry={log.reload} />
      {!list && log.loading && <Loading />}
      {list?.length === 0 && <EmptyState icon="alert" title="Nothing sent yet">Use "Send test" to check the target.</EmptyState>}
      {list && list.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards">
            <thead>
              <tr><th>Time</th><th>Event</th><th>State</th><th className="num">Attempts</th><th>Last answer</th></tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id}>
                  <td className="card-title-cell">{when(d.createdAt)}</td>
                  <td data-label="Event"><Mono>{d.eventType}</Mono></td>
                  <td data-label="State"><Badge tone={STATE_TONE[d.state]} dot>{d.state}</Badge>{d.state === 'pending' && d.nextAttemptAt && <span className="muted"> · retry {relative(d.nextAttemptAt)}</span>}</td>
                  <td data-label="Attempts" className="num">{d.attempts}</td>
                  <td data-label="Last answer" className="note-cell">{d.lastStatus ?? <span className="muted">—</span>}{d.lastError && <span className="muted"> · {d.lastError}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function Webhooks({ hooks, reload, selected, onSelect }: { hooks: Webhook[]; reload: () => Promise<void>; selected?: string; onSelect: (id: string) => void }) {
  const [adding, setAdding] = useState(false);
  const [shown, setShown] = useState<WebhookWithSecret>();
  const [deleting, setDeleting] = useState<Webhook>();
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      toast(done);
      await reload();
    } catch (err) {
      toast((err as Error).message, 'danger');
    }
  };
  return (
    <Card title="Webhooks" description="Where alerts are sent: signed JSON POSTs." actions={<Button icon="plus" variant="primary" onClick={() => setAdding(true)}>Add webhook</Button>} flush>
      {hooks.length === 0 && <EmptyState icon="alert" title="No webhooks yet">Add one to receive alerts.</EmptyState>}
      {hooks.length > 0 && (
        <div className="table-wrap">
          <table className="table table-cards">
            <thead>
              <tr><th>Webhook</th><th>Secret</th><th>On</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {hooks.map((w) => (
                <tr key={w.id} className={w.id === selected ? 'row-selected' : undefined}>
                  <td className="card-title-cell"><div><strong>{w.name || '—'}</strong><div className="muted ellipsis"><Mono>{w.url}</Mono></div></div></td>
                  <td data-label="Secret"><Mono>••••{w.secretLast4}</Mono></td>
                  <td data-label="On"><Switch checked={w.enabled} label={`Enabled: ${w.name || w.url}`} onChange={(enabled) => act(() => api('PATCH', `/webhooks/${w.id}`, { enabled }), enabled ? 'Webhook enabled' : 'Webhook paused')} /></td>
                  <td className="actions-col">
                    <Button size="sm" variant="ghost" onClick={() => act(async () => {
                      const d = await api<WebhookDelivery>('POST', `/webhooks/${w.id}/test`);
                      onSelect(w.id);
                      if (d.state !== 'delivered') throw new Error(`Test not delivered: ${d.lastError ?? `answered ${d.lastStatus}`}`);
                    }, 'Test event delivered')}>Send test</Button>
                    <Button size="sm" variant="ghost" onClick={() => onSelect(w.id)}>Deliveries</Button>
                    <Button size="sm" variant="ghost" onClick={() => act(async () => setShown(await api<WebhookWithSecret>('POST', `/webhooks/${w.id}/secret`)), 'Secret rotated')}>Rotate secret</Button>
                    <Button size="sm" variant="ghost" className="danger-text" onClick={() => setDeleting(w)} aria-label={`Delete webhook ${w.name || w.url}`}>Delete</Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {adding && (
        <Dialog open onClose={() => setAdding(false)} title="Add a webhook" description="Tollgate POSTs alert events here, signed with a secret shown once.">
          <Form
            onSubmit={async (data) => {
              const hook = await api<WebhookWithSecret>('POST', '/webhooks', { name: str(data, 'name'), url: str(data, 'url') ?? '' });
              setAdding(false);
              setShown(hook);
              await reload();
            }}
          >
            <div className="dialog-body stack">
              <TextField name="name" label="Name" placeholder="e.g. ops channel" autoFocus />
              <TextField name="url" label="URL" placeholder="https://example.com/hooks/tollgate" />
            </div>
            <DialogFooter onCancel={() => setAdding(false)}>
              <SubmitButton>Add webhook</SubmitButton>
            </DialogFooter>
          </Form>
        </Dialog>
      )}
      {shown && <SecretDialog hook={shown} onClose={() => setShown(undefined)} />}
      <ConfirmDialog open={deleting !== undefined} onClose={() => setDeleting(undefined)} title="Delete this webhook?" confirmLabel="Delete webhook" onConfirm={async () => {
        await api('DELETE', `/webhooks/${deleting!.id}`);
        toast('Webhook deleted');
        setDeleting(undefined);
        await reload();
      }}>
        <p>Its alerts and delivery log are deleted with it.</p>
      </ConfirmDialog>
    </Card>
  );
}

type Kind = 'budget' | 'low_balance';
type Scope = 'key' | 'user';

function NewAlertDialog({ hooks, onClose, onCreated }: { hooks: Webhook[]; onClose: () => void; onCreated: () => void }) {
  const [kind, setKind] = useState<Kind>('budget');
  const [scope, setScope] = useState<Scope>('user');
  const accounts = useResource<List<Account>>(kind === 'low_balance' ? '/accounts' : null);
  const users = useResource<List<User>>(kind === 'budget' && scope === 'user' ? '/users' : null);
  const keys = useResource<List<ApiKey>>(kind === 'budget' && scope === 'key' ? '/keys?status=active' : null);
  const list = (s: string | undefined) => (s ?? '').split(/[,\s]+/).filter(Boolean);
  // Named as the API names them, so a refusal (no cap for that period) shows next to its field.
  const subjectField = scope === 'key' ? 'keyId' : 'userId';
  return (
    <Dialog open onClose={onClose} title="Add an alert" description="Each threshold fires once per period, whatever the number of gateway instances.">
      <Form
        onSubmit={async (data) => {
          const webhookId = str(data, 'webhookId');
          const body =
            kind === 'low_balance'
              ? { webhookId, kind, accountId: str(data, 'accountId'), below: list(str(data, 'below')) }
              : { webhookId, kind, [subjectField]: str(data, subjectField), period: str(data, 'period'), percents: list(str(data, 'percents')).map(Number) };
          await api('POST', '/alerts', body);
          toast('Alert added');
          onCreated();
        }}
      >
        <div className="dialog-body stack">
          <Segmented label="Alert kind" value={kind} onChange={setKind} options={[{ value: 'budget', label: 'Budget threshold' }, { value: 'low_balance', label: 'Low balance' }]} />
          {kind === 'budget' && (
            <>
              <Segmented label="Whose cap" value={scope} onChange={setScope} options={[{ value: 'user', label: 'A user' }, { value: 'key', label: 'An API key' }]} />
              {scope === 'user' ? (
                <SelectField key="user" name="userId" label="User" options={(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.email }))} />
              ) : (
                <SelectField key="key" name="keyId" label="API key" options={(keys.data?.data ?? []).map((k) => ({ value: k.id, label: `${k.prefix}… ${k.name} (${k.userEmail ?? ''})` }))} />
              )}
              <SelectField name="period" label="Cap" options={[{ value: 'day', label: 'Per day (UTC)' }, { value: 'month', label: 'Per month (UTC)' }, { value: 'lifetime', label: 'Lifetime' }]} />
              <TextField name="percents" label="Thresholds" suffix="% of the cap" defaultValue="50, 80, 100" hint="Fires when what is spent reaches each percentage; 100 also fires when the cap refuses a request." />
            </>
          )}
          {kind === 'low_balance' && (
            <>
              <SelectField name="accountId" label="Account" options={(accounts.data?.data ?? []).map((a) => ({ value: a.id, label: `${a.name} (${credits(a.balance)})` }))} />
              <TextField name="below" label="Below" suffix="credits" placeholder="e.g. 100, 10" hint="Fires when the balance falls below each amount; funding the account re-arms it." />
            </>
          )}
          <SelectField name="webhookId" label="Send to" options={hooks.map((w) => ({ value: w.id, label: w.name || w.url }))} />
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>Add alert</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}

function describeAlert(a: Alert): string {
  if (a.kind === 'low_balance') return `Balance below ${a.thresholds.map((t) => credits(t)).join(', ')} credits`;
  const period = a.period === 'day' ? 'daily' : a.period === 'month' ? 'monthly' : 'lifetime';
  return `${a.thresholds.join(', ')} % of the ${a.keyId ? "key's" : "user's"} ${period} cap`;
}

export function AlertsPage() {
  const hooks = useResource<List<Webhook>>('/webhooks');
  const alerts = useResource<List<Alert>>('/alerts');
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<string>();
  const [deleting, setDeleting] = useState<Alert>();
  const hookList = hooks.data?.data;
  const shownHook = hookList?.find((w) => w.id === (selected ?? hookList[0]?.id));
  const hookName = (id: string) => hookList?.find((w) => w.id === id)?.name || hookList?.find((w) => w.id === id)?.url || id;
  return (
    <>
      <PageHeader title="Alerts" description="Low balance and budget thresholds, delivered as signed webhooks." actions={hookList && hookList.length > 0 && <Button icon="plus" variant="primary" onClick={() => setAdding(true)}>Add alert</Button>} />
      <ErrorBanner error={hooks.error ?? alerts.error} onRetry={() => void Promise.all([hooks.reload(), alerts.reload()])} />
      {(!hookList || !alerts.data) && (hooks.loading || alerts.loading) && <Loading />}
      {hookList && alerts.data && (
        <div className="stack-lg">
          <Card title="Alerts" flush>
            {alerts.data.data.length === 0 && <EmptyState icon="alert" title="No alerts yet">{hookList.length ? 'Add one to be told before money runs out.' : 'Add a webhook first.'}</EmptyState>}
            {alerts.data.data.length > 0 && (
              <div className="table-wrap">
                <table className="table table-cards">
                  <thead>
                    <tr><th>Alert</th><th>Watching</th><th>Sent to</th><th>Created</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr>
                  </thead>
                  <tbody>
                    {alerts.data.data.map((a) => (
                      <tr key={a.id}>
                        <td className="card-title-cell">{describeAlert(a)}</td>
                        <td data-label="Watching"><span>{a.subject} <span className="muted">{a.kind === 'low_balance' ? 'account' : a.keyId ? 'key' : 'user'}</span></span></td>
                        <td data-label="Sent to">{hookName(a.webhookId)}</td>
                        <td data-label="Created">{relative(a.createdAt)}</td>
                        <td className="actions-col"><Button size="sm" variant="ghost" className="danger-text" onClick={() => setDeleting(a)} aria-label={`Delete alert: ${describeAlert(a)}`}><Icon name="trash" /></Button></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Webhooks hooks={hookList} reload={hooks.reload} selected={shownHook?.id} onSelect={setSelected} />
          {shownHook && <Deliveries key={shownHook.id} hook={shownHook} />}
        </div>
      )}
      {adding && hookList && <NewAlertDialog hooks={hookList} onClose={() => setAdding(false)} onCreated={() => { setAdding(false); void alerts.reload(); }} />}
      <ConfirmDialog open={deleting !== undefined} onClose={() => setDeleting(undefined)} title="Delete this alert?" confirmLabel="Delete alert" onConfirm={async () => {
        await api('DELETE', `/alerts/${deleting!.id}`);
        toast('Alert deleted');
        setDeleting(undefined);
        await alerts.reload();
      }}>
        <p>{deleting && describeAlert(deleting)}</p>
      </ConfirmDialog>
    </>
  );
}
