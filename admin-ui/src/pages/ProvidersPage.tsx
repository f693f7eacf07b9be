import { useState } from 'react';
import { api } from '../api/client';
import type { ConnectionTest, List, Provider, ProviderKey } from '../api/types';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { DialogFooter, Form, int, str, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';
import { toast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, Mono, PageHeader, Switch } from '../components/ui';
import { ms, num } from '../lib/format';
import { useResource } from '../lib/useResource';
import { ProviderDialog } from './ProviderDialog';

export const KIND_LABEL: Record<string, string> = { openai: 'OpenAI', anthropic: 'Anthropic', gemini: 'Google Gemini', mistral: 'Mistral' };

type KeyDialog = { mode: 'add' } | { mode: 'rotate'; key: ProviderKey } | { mode: 'remove'; key: ProviderKey };

function KeyForm({ provider, dialog, onClose, onDone }: { provider: Provider; dialog: KeyDialog; onClose: () => void; onDone: () => void }) {
  if (dialog.mode === 'remove') {
    return (
      <ConfirmDialog
        open
        onClose={onClose}
        title="Remove this key?"
        confirmLabel="Remove key"
        onConfirm={async () => {
          await api('DELETE', `/providers/${provider.id}/keys/${dialog.key.id}`);
          toast(`Key ••••${dialog.key.last4} removed`);
          onDone();
        }}
      >
        Requests stop using <Mono>••••{dialog.key.last4}</Mono> on {provider.name} at once. The secret cannot be recovered.
      </ConfirmDialog>
    );
  }
  const rotating = dialog.mode === 'rotate';
  return (
    <Dialog open onClose={onClose} title={rotating ? `Rotate key ••••${dialog.key.last4}` : `Add a key to ${provider.name}`} description={rotating ? 'The new secret replaces the old one in place; its label, weight and limits stay.' : 'Several keys on one provider share the traffic by weight.'}>
      <Form
        onSubmit={async (data) => {
          if (rotating) {
            await api('PATCH', `/providers/${provider.id}/keys/${dialog.key.id}`, { secret: str(data, 'secret') ?? '' });
            toast('Key rotated');
          } else {
            await api('POST', `/providers/${provider.id}/keys`, { secret: str(data, 'secret') ?? '', label: str(data, 'label'), weight: int(data, 'weight'), rpmLimit: int(data, 'rpmLimit'), tpmLimit: int(data, 'tpmLimit') });
            toast('Key added');
          }
          onDone();
        }}
      >
        <div className="dialog-body stack">
          <TextField name="secret" label={rotating ? 'New secret' : 'Secret'} type="password" autoComplete="off" autoFocus hint="Stored encrypted; only its last four characters are ever shown again." />
          {!rotating && (
            <>
              <div className="grid-2">
                <TextField name="label" label="Label" placeholder="e.g. primary" />
                <TextField name="weight" label="Weight" inputMode="numeric" placeholder="1" />
              </div>
              <div className="grid-2">
                <TextField name="rpmLimit" label="Requests per minute" inputMode="numeric" placeholder="Provider's own" />
                <TextField name="tpmLimit" label="Tokens per minute" inputMode="numeric" placeholder="Provider's own" />
              </div>
            </>
          )}
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>{rotating ? 'Rotate key' : 'Add key'}</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}

function ProviderCard({ provider, reload }: { provider: Provider; reload: () => Promise<void> }) {
  const [test, setTest] = useState<ConnectionTest | 'running' | { error: string }>();
  const [keyDialog, setKeyDialog] = useState<KeyDialog>();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const results = test && test !== 'running' && 'keys' in test ? new Map(test.keys.map((k) => [k.keyId, k])) : undefined;

  const runTest = async () => {
    setTest('running');
    try {
      setTest(await api<ConnectionTest>('POST', `/providers/${provider.id}/test`));
    } catch (err) {
      setTest({ error: (err as Error).message });
    }
  };
  const toggle = async (body: object, path = `/providers/${provider.id}`) => {
    try {
      await api('PATCH', path, body);
      await reload();
    } catch (err) {
      toast((err as Error).message, 'danger');
    }
  };

  return (
    <Card
      className="provider-card"
      title={
        <span className="title-row">
          {provider.name} <Badge tone="accent">{KIND_LABEL[provider.kind] ?? provider.kind}</Badge>
          {!provider.enabled && <Badge tone="warning">Disabled</Badge>}
        </span>
      }
      description={
        <>
          <Mono>{provider.id}</Mono> · <Mono>{provider.baseUrl}</Mono>
        </>
      }
      actions={
        <>
          <Button need="catalogue" icon="plug" onClick={runTest} busy={test === 'running'} aria-label={`Test connection to ${provider.name}`}>
            Test connection
          </Button>
          <Button need="catalogue" icon="edit" variant="ghost" onClick={() => setEditing(true)} aria-label={`Edit ${provider.name}`}>
            Edit
          </Button>
        </>
      }
      flush
    >
      {test && test !== 'running' && (
        <div className={`banner ${'error' in test || !test.ok ? 'banner-danger' : 'banner-success'} banner-inset`} role="status">
          <Icon name={'error' in test || !test.ok ? 'alert' : 'check'} />
          {'error' in test ? test.error : test.ok ? `Connected: all ${test.keys.length} key${test.keys.length === 1 ? '' : 's'} answered.` : test.keys.length === 0 ? 'No enabled keys to test.' : `${test.keys.filter((k) => !k.ok).length} of ${test.keys.length} keys failed.`}
        </div>
      )}
      <div className="table-wrap">
        <table className="table table-cards">
          <thead>
            <tr>
              <th>Key</th>
              <th>Label</th>
              <th className="num hide-sm">Weight</th>
              <th className="num hide-sm">Limits (RPM / TPM)</th>
              <th>Last test</th>
              <th>Enabled</th>
              <th className="actions-col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {provider.keys.map((k) => {
              const r = results?.get(k.id);
              return (
                <tr key={k.id}>
                  <td className="card-title-cell">
                    <Mono>••••{k.last4}</Mono>
                  </td>
                  <td data-label="Label">{k.label || <span className="muted">—</span>}</td>
                  <td className="num hide-sm">{k.weight}</td>
                  <td className="num hide-sm">
                    {k.rpmLimit ? num(k.rpmLimit) : '—'} / {k.tpmLimit ? num(k.tpmLimit) : '—'}
                  </td>
                  <td data-label="Last test">{r ? r.ok ? <Badge tone="success" dot>OK · {ms(r.latencyMs)}</Badge> : <span title={r.error ?? ''}><Badge tone="danger" dot>{r.status || 'Failed'}{r.error ? ` · ${r.error.slice(0, 40)}` : ''}</Badge></span> : <span className="muted">—</span>}</td>
                  <td data-label="Enabled">
                    <Switch need="catalogue" checked={k.enabled} label={`Key ••••${k.last4} enabled`} onChange={(v) => toggle({ enabled: v }, `/providers/${provider.id}/keys/${k.id}`)} />
                  </td>
                  <td className="actions-col">
                    <Button need="catalogue" size="sm" variant="ghost" onClick={() => setKeyDialog({ mode: 'rotate', key: k })}>
                      Rotate
                    </Button>
                    <Button need="catalogue" size="sm" variant="ghost" className="danger-text" onClick={() => setKeyDialog({ mode: 'remove', key: k })} aria-label={`Remove key ••••${k.last4}`}>
                      Remove
                    </Button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {provider.keys.length === 0 && <p className="card-note">No keys yet: requests to this provider fail until one is added.</p>}
      <div className="card-footer">
        <Button need="catalogue" size="sm" icon="plus" onClick={() => setKeyDialog({ mode: 'add' })}>
          Add key
        </Button>
        <span className="muted small">
          Timeouts: connect {ms(provider.connectTimeoutMs)} · first byte {ms(provider.firstByteTimeoutMs)} · total {ms(provider.totalTimeoutMs)}
        </span>
        <span className="switch-label">
          Provider enabled <Switch need="catalogue" checked={provider.enabled} label={`${provider.name} enabled`} onChange={(v) => toggle({ enabled: v })} />
        </span>
      </div>
      {keyDialog && <KeyForm provider={provider} dialog={keyDialog} onClose={() => setKeyDialog(undefined)} onDone={() => { setKeyDialog(undefined); void reload(); }} />}
      <ProviderDialog open={editing} provider={provider} onClose={() => setEditing(false)} onSaved={() => { setEditing(false); void reload(); }} onDelete={() => { setEditing(false); setDeleting(true); }} />
      <ConfirmDialog
        open={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete ${provider.name}?`}
        confirmLabel="Delete provider"
        onConfirm={async () => {
          await api('DELETE', `/providers/${provider.id}`);
          toast(`${provider.name} deleted`);
          setDeleting(false);
          await reload();
        }}
      >
        The provider and its keys are removed. A provider that models still use cannot be deleted: move or delete those models first.
      </ConfirmDialog>
    </Card>
  );
}

export function ProvidersPage() {
  const providers = useResource<List<Provider>>('/providers');
  const [adding, setAdding] = useState(false);
  const list = providers.data?.data;
  return (
    <>
      <PageHeader
        title="Providers"
        description="Upstream AI providers and their API keys. Keys are stored encrypted; only the last four characters are shown."
        actions={
          <Button need="catalogue" variant="primary" icon="plus" onClick={() => setAdding(true)}>
            Add provider
          </Button>
        }
      />
      <ErrorBanner error={providers.error} onRetry={providers.reload} />
      {!list && providers.loading && <Loading />}
      {list?.length === 0 && (
        <Card>
          <EmptyState icon="providers" title="No providers yet" action={<Button need="catalogue" variant="primary" icon="plus" onClick={() => setAdding(true)}>Add provider</Button>}>
            Add OpenAI, Anthropic, Gemini or Mistral with an API key, then add models on it.
          </EmptyState>
        </Card>
      )}
      <div className="stack-lg">
        {list?.map((p) => <ProviderCard key={p.id} provider={p} reload={providers.reload} />)}
      </div>
      <ProviderDialog open={adding} onClose={() => setAdding(false)} onSaved={() => { setAdding(false); void providers.reload(); }} />
    </>
  );
}
