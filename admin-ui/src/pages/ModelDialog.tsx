import { api } from '../api/client';
import type { Model, Price, Provider } from '../api/types';
import { Dialog } from '../components/Dialog';
import { CheckField, DialogFooter, Form, int, SelectField, str, SubmitButton, TextField } from '../components/form';
import { toast } from '../components/toast';
import { navigate } from '../lib/router';

/** The price fields, named as the API names them (so its errors land on the right field). */
export function PriceFields({ prefix = '', autoFocus, current }: { prefix?: string; autoFocus?: boolean; current?: Price | null }) {
  const hint = 'Credits per 1M tokens';
  // "2.500000" → "2.5": start from the price in force, so a change is one edit.
  const plain = (v: string | undefined) => (v?.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v);
  return (
    <div className="grid-4">
      <TextField name={`${prefix}inputPerMtok`} label="Input" inputMode="decimal" suffix="cr" hint={hint} autoFocus={autoFocus} defaultValue={plain(current?.inputPerMtok)} />
      <TextField name={`${prefix}outputPerMtok`} label="Output" inputMode="decimal" suffix="cr" hint={hint} defaultValue={plain(current?.outputPerMtok)} />
      <TextField name={`${prefix}cachedInputPerMtok`} label="Cached input" inputMode="decimal" suffix="cr" hint="Empty: as input" defaultValue={plain(current?.cachedInputPerMtok)} />
      <TextField name={`${prefix}cacheWritePerMtok`} label="Cache write" inputMode="decimal" suffix="cr" hint="Empty: as input" defaultValue={plain(current?.cacheWritePerMtok)} />
    </div>
  );
}

export function priceBody(data: FormData, prefix = '') {
  return {
    inputPerMtok: str(data, `${prefix}inputPerMtok`) ?? '',
    outputPerMtok: str(data, `${prefix}outputPerMtok`) ?? '',
    cachedInputPerMtok: str(data, `${prefix}cachedInputPerMtok`),
    cacheWritePerMtok: str(data, `${prefix}cacheWritePerMtok`),
  };
}

/** Add a model: alias → provider + upstream model, limits, capabilities and its first price. */
export function ModelDialog({ open, providers, onClose }: { open: boolean; providers: Provider[]; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} wide title="Add a model" description="Apps call the model by its alias. The price applies from now; change it later without a deploy.">
      <Form
        onSubmit={async (data) => {
          const m = await api<Model>('POST', '/models', {
            alias: str(data, 'alias') ?? '',
            providerId: str(data, 'providerId') ?? '',
            upstreamModel: str(data, 'upstreamModel') ?? '',
            kind: str(data, 'kind'),
            contextWindow: int(data, 'contextWindow') ?? '',
            maxOutputTokens: int(data, 'maxOutputTokens') ?? '',
            supportsVision: data.get('supportsVision') === 'on',
            supportsTools: data.get('supportsTools') === 'on',
            supportsJson: data.get('supportsJson') === 'on',
            price: priceBody(data, 'price.'),
          });
          toast(`${m.alias} is live`);
          onClose();
          navigate(`/models/${encodeURIComponent(m.alias)}`);
        }}
      >
        <div className="dialog-body stack">
          <div className="grid-2">
            <TextField name="alias" label="Alias" placeholder="e.g. gpt-4o-mini" hint="What apps send as `model`." autoFocus />
            <SelectField name="providerId" label="Provider" options={providers.map((p) => ({ value: p.id, label: `${p.name} (${p.id})` }))} />
          </div>
          <div className="grid-2">
            <TextField name="upstreamModel" label="Upstream model ID" placeholder="e.g. gpt-4o-mini-2024-07-18" />
            <SelectField name="kind" label="Kind" options={[{ value: 'chat', label: 'Chat' }, { value: 'embedding', label: 'Embedding' }]} />
          </div>
          <div className="grid-2">
            <TextField name="contextWindow" label="Context window" suffix="tokens" inputMode="numeric" placeholder="128000" />
            <TextField name="maxOutputTokens" label="Max output" suffix="tokens" inputMode="numeric" placeholder="16384" />
          </div>
          <fieldset className="fieldset">
            <legend>Capabilities</legend>
            <div className="checks">
              <CheckField name="supportsTools" label="Tools" defaultChecked />
              <CheckField name="supportsJson" label="JSON mode" defaultChecked />
              <CheckField name="supportsVision" label="Vision" />
            </div>
          </fieldset>
          <fieldset className="fieldset">
            <legend>Price</legend>
            <PriceFields prefix="price." />
          </fieldset>
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>Add model</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}
