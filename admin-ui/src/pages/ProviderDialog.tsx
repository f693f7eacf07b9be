import { api } from '../api/client';
import type { Provider } from '../api/types';
import { Dialog } from '../components/Dialog';
import { CheckField, DialogFooter, Form, int, SelectField, str, SubmitButton, TextField } from '../components/form';
import { toast } from '../components/toast';
import { Button } from '../components/ui';

const KINDS = [
  { value: 'openai', label: 'OpenAI' },
  { value: 'anthropic', label: 'Anthropic' },
  { value: 'gemini', label: 'Google Gemini' },
  { value: 'mistral', label: 'Mistral' },
];

/** Add a provider (with its first key), or edit one's name, base URL, timeouts and enabled flag. */
export function ProviderDialog({ open, provider, onClose, onSaved, onDelete }: { open: boolean; provider?: Provider; onClose: () => void; onSaved: () => void; onDelete?: () => void }) {
  const editing = provider !== undefined;
  return (
    <Dialog open={open} onClose={onClose} title={editing ? `Edit ${provider.name}` : 'Add a provider'} description={editing ? undefined : 'Leave the base URL empty to use the provider’s public API.'}>
      <Form
        onSubmit={async (data) => {
          const common = {
            name: str(data, 'name'),
            baseUrl: str(data, 'baseUrl'),
            connectTimeoutMs: int(data, 'connectTimeoutMs'),
            firstByteTimeoutMs: int(data, 'firstByteTimeoutMs'),
            totalTimeoutMs: int(data, 'totalTimeoutMs'),
          };
          if (editing) {
            await api('PATCH', `/providers/${provider.id}`, { ...common, enabled: data.get('enabled') === 'on' });
            toast(`${provider.name} saved`);
          } else {
            const secret = str(data, 'keys.0.secret');
            const created = await api<Provider>('POST', '/providers', {
              id: str(data, 'id') ?? '',
              kind: str(data, 'kind'),
              ...common,
              ...(secret ? { keys: [{ secret, label: str(data, 'keys.0.label') }] } : {}),
            });
            toast(`${created.name} added`);
          }
          onSaved();
        }}
      >
        <div className="dialog-body stack">
          {!editing && (
            <div className="grid-2">
              <SelectField name="kind" label="Kind" options={KINDS} defaultValue="openai" />
              <TextField name="id" label="ID" placeholder="e.g. openai" hint="Lowercase letters, digits, - and _." autoFocus />
            </div>
          )}
          <TextField name="name" label="Display name" defaultValue={provider?.name} placeholder={editing ? undefined : 'Defaults to the kind'} autoFocus={editing} />
          <TextField name="baseUrl" label="Base URL" defaultValue={provider?.baseUrl} placeholder="https://api.openai.com/v1" />
          <div className="grid-3">
            <TextField name="connectTimeoutMs" label="Connect timeout" suffix="ms" inputMode="numeric" defaultValue={provider?.connectTimeoutMs} placeholder="5000" />
            <TextField name="firstByteTimeoutMs" label="First byte" suffix="ms" inputMode="numeric" defaultValue={provider?.firstByteTimeoutMs} placeholder="60000" />
            <TextField name="totalTimeoutMs" label="Total" suffix="ms" inputMode="numeric" defaultValue={provider?.totalTimeoutMs} placeholder="600000" />
          </div>
          {editing ? (
            <CheckField name="enabled" label="Enabled: route requests to this provider" defaultChecked={provider.enabled} />
          ) : (
            <fieldset className="fieldset">
              <legend>First API key (optional)</legend>
              <div className="grid-2">
                <TextField name="keys.0.secret" label="Secret" type="password" autoComplete="off" />
                <TextField name="keys.0.label" label="Label" placeholder="primary" />
              </div>
            </fieldset>
          )}
        </div>
        <DialogFooter onCancel={onClose}>
          {editing && onDelete && (
            <Button variant="ghost" className="danger-text footer-left" onClick={onDelete}>
              Delete provider
            </Button>
          )}
          <SubmitButton>{editing ? 'Save changes' : 'Add provider'}</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}
