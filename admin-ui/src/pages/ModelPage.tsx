import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { List, Model, Provider } from '../api/types';
import { ConfirmDialog } from '../components/Dialog';
import { CheckField, Form, int, SelectField, str, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';
import { toast } from '../components/toast';
import { Badge, Button, Card, ErrorBanner, Loading, Mono, PageHeader, Switch } from '../components/ui';
import { columnPlaces, credits, when } from '../lib/format';
import { Link, navigate } from '../lib/router';
import { useResource } from '../lib/useResource';
import { priceBody, PriceFields } from './ModelDialog';

function FallbackChain({ model, all, onSaved }: { model: Model; all: Model[]; onSaved: () => Promise<void> }) {
  const [chain, setChain] = useState(model.fallbacks);
  const [pick, setPick] = useState('');
  useEffect(() => setChain(model.fallbacks), [model.fallbacks]);
  const candidates = all.filter((m) => m.alias !== model.alias && !chain.includes(m.alias) && m.kind === model.kind);
  const move = (i: number, d: number) => setChain((c) => { const n = [...c]; [n[i], n[i + d]] = [n[i + d]!, n[i]!]; return n; });
  const dirty = chain.join('\n') !== model.fallbacks.join('\n');
  return (
    <Card title="Fallback chain" description="When this model’s provider fails, requests try these in order. Each is priced at the model that served it.">
      <Form
        need="catalogue"
        onSubmit={async () => {
          await api('PATCH', `/models/${encodeURIComponent(model.alias)}`, { fallbacks: chain });
          toast('Fallback chain saved');
          await onSaved();
        }}
      >
        <div data-field="fallbacks" className="stack">
          <ol className="chain-list">
            <li className="chain-item chain-primary">
              <span className="chain-step">1</span> <strong>{model.alias}</strong> <span className="muted">on {model.providerId}</span>
            </li>
            {chain.map((alias, i) => (
              <li key={alias} className="chain-item">
                <span className="chain-step">{i + 2}</span>
                <span className="chain-name">{alias}</span>
                <span className="chain-actions">
                  <button type="button" className="icon-btn" aria-label={`Move ${alias} up`} disabled={i === 0} onClick={() => move(i, -1)}><Icon name="up" /></button>
                  <button type="button" className="icon-btn" aria-label={`Move ${alias} down`} disabled={i === chain.length - 1} onClick={() => move(i, 1)}><Icon name="down" /></button>
                  <button type="button" className="icon-btn" aria-label={`Remove ${alias} from the chain`} onClick={() => setChain((c) => c.filter((a) => a !== alias))}><Icon name="x" /></button>
                </span>
              </li>
            ))}
          </ol>
          <div className="inline-form">
            <label className="sr-only" htmlFor="fallback-pick">Add a fallback model</label>
            <select id="fallback-pick" className="input" value={pick} onChange={(e) => setPick(e.target.value)}>
              <option value="">Add a fallback…</option>
              {candidates.map((m) => <option key={m.alias} value={m.alias}>{m.alias} ({m.providerId})</option>)}
            </select>
            <Button need="catalogue" icon="plus" disabled={!pick} onClick={() => { setChain((c) => [...c, pick]); setPick(''); }}>Add</Button>
          </div>
        </div>
        <div className="card-form-footer">
          {dirty && <span className="muted small">Unsaved changes</span>}
          <SubmitButton>Save chain</SubmitButton>
        </div>
      </Form>
    </Card>
  );
}

function Prices({ model, onSaved }: { model: Model; onSaved: () => Promise<void> }) {
  const now = Date.now();
  const current = model.price?.id;
  const places = columnPlaces(model.priceHistory.flatMap((p) => [p.inputPerMtok, p.outputPerMtok, p.cachedInputPerMtok, p.cacheWritePerMtok]));
  return (
    <Card title="Prices" description="Credits per 1M tokens. A new price applies to requests that start after its effective time; requests in flight keep theirs.">
      <Form
        need="catalogue"
        onSubmit={async (data) => {
          const from = str(data, 'effectiveFrom');
          const iso = from && !Number.isNaN(new Date(from).getTime()) ? new Date(from).toISOString() : from;
          await api('POST', `/models/${encodeURIComponent(model.alias)}/prices`, { ...priceBody(data), ...(iso ? { effectiveFrom: iso } : {}) });
          toast(iso ? 'Price change scheduled' : 'New price in force');
          await onSaved();
        }}
        className="stack"
      >
        <PriceFields current={model.price} key={model.price?.id} />
        <div className="inline-form">
          <TextField name="effectiveFrom" label="Effective from (empty: now)" type="datetime-local" className="grow" />
          <SubmitButton>Set price</SubmitButton>
        </div>
      </Form>
      <h3 className="subheading">History</h3>
      <div className="table-wrap">
        <table className="table table-cards">
          <thead>
            <tr><th>Effective from</th><th className="num">Input</th><th className="num">Output</th><th className="num hide-sm">Cached</th><th className="num hide-sm">Cache write</th><th>Status</th></tr>
          </thead>
          <tbody>
            {model.priceHistory.map((p) => (
              <tr key={p.id}>
                <td className="card-title-cell">{when(p.effectiveFrom)}</td>
                <td data-label="Input" className="num">{credits(p.inputPerMtok, places)}</td>
                <td data-label="Output" className="num">{credits(p.outputPerMtok, places)}</td>
                <td className="num hide-sm">{credits(p.cachedInputPerMtok, places)}</td>
                <td className="num hide-sm">{credits(p.cacheWritePerMtok, places)}</td>
                <td data-label="Status">{p.id === current ? <Badge tone="success" dot>In force</Badge> : new Date(p.effectiveFrom).getTime() > now ? <Badge tone="info">Scheduled</Badge> : <Badge>Past</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function Settings({ model, providers, onSaved }: { model: Model; providers: Provider[]; onSaved: () => Promise<void> }) {
  return (
    <Card title="Settings">
      <Form
        need="catalogue"
        className="stack"
        onSubmit={async (data) => {
          const ttl = str(data, 'cacheTtlSeconds');
          await api('PATCH', `/models/${encodeURIComponent(model.alias)}`, {
            providerId: str(data, 'providerId'),
            upstreamModel: str(data, 'upstreamModel') ?? '',
            contextWindow: int(data, 'contextWindow') ?? '',
            maxOutputTokens: int(data, 'maxOutputTokens') ?? '',
            supportsVision: data.get('supportsVision') === 'on',
            supportsTools: data.get('supportsTools') === 'on',
            supportsJson: data.get('supportsJson') === 'on',
            cacheTtlSeconds: ttl === undefined ? null : int(data, 'cacheTtlSeconds'),
          });
          toast(`${model.alias} saved`);
          await onSaved();
        }}
      >
        <SelectField name="providerId" label="Provider" defaultValue={model.providerId} options={providers.map((p) => ({ value: p.id, label: `${p.name} (${p.id})` }))} />
        <TextField name="upstreamModel" label="Upstream model ID" defaultValue={model.upstreamModel} />
        <div className="grid-2">
          <TextField name="contextWindow" label="Context window" suffix="tokens" inputMode="numeric" defaultValue={model.contextWindow} />
          <TextField name="maxOutputTokens" label="Max output" suffix="tokens" inputMode="numeric" defaultValue={model.maxOutputTokens} />
        </div>
        <TextField name="cacheTtlSeconds" label="Response cache TTL" suffix="s" inputMode="numeric" defaultValue={model.cacheTtlSeconds} placeholder="Gateway default" />
        <div className="checks">
          <CheckField name="supportsTools" label="Tools" defaultChecked={model.supportsTools} />
          <CheckField name="supportsJson" label="JSON mode" defaultChecked={model.supportsJson} />
          <CheckField name="supportsVision" label="Vision" defaultChecked={model.supportsVision} />
        </div>
        <div className="card-form-footer">
          <SubmitButton>Save settings</SubmitButton>
        </div>
      </Form>
    </Card>
  );
}

export function ModelPage({ alias }: { alias: string }) {
  const model = useResource<Model>(`/models/${encodeURIComponent(alias)}`);
  const all = useResource<List<Model>>('/models');
  const providers = useResource<List<Provider>>('/providers');
  const [deleting, setDeleting] = useState(false);
  const m = model.data;
  const reload = async () => { await Promise.all([model.reload(), all.reload()]); };
  const setEnabled = async (enabled: boolean) => {
    try {
      await api('PATCH', `/models/${encodeURIComponent(alias)}`, { enabled });
      toast(`${alias} ${enabled ? 'enabled' : 'disabled'}`);
      await reload();
    } catch (err) {
      toast((err as Error).message, 'danger');
    }
  };
  return (
    <>
      <PageHeader
        back={<Link to="/models" className="back-link"><Icon name="back" /> Models</Link>}
        title={<span className="title-row">{alias} {m && (m.enabled ? <Badge tone="success" dot>Enabled</Badge> : <Badge tone="warning" dot>Disabled</Badge>)}</span>}
        description={m && <>Served by <strong>{m.providerId}</strong> as <Mono>{m.upstreamModel}</Mono> · {m.kind === 'chat' ? 'chat' : 'embedding'} model</>}
        actions={m && (
          <>
            <span className="switch-label">
              <Switch need="catalogue" checked={m.enabled} label={`${alias} enabled`} onChange={setEnabled} /> Enabled
            </span>
            <Button need="catalogue" variant="ghost" icon="trash" className="danger-text" onClick={() => setDeleting(true)}>Delete</Button>
          </>
        )}
      />
      <ErrorBanner error={model.error} onRetry={model.reload} />
      {!m && model.loading && <Loading />}
      {m && (
        <div className="two-col">
          <div className="stack-lg">
            <Prices model={m} onSaved={reload} />
            <FallbackChain model={m} all={all.data?.data ?? []} onSaved={reload} />
          </div>
          {providers.data ? <Settings model={m} providers={providers.data.data} onSaved={reload} /> : <Loading />}
        </div>
      )}
      <ConfirmDialog
        open={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete ${alias}?`}
        confirmLabel="Delete model"
        onConfirm={async () => {
          await api('DELETE', `/models/${encodeURIComponent(alias)}`);
          toast(`${alias} deleted`);
          navigate('/models');
        }}
      >
        Apps calling <Mono>{alias}</Mono> get a 404 at once, and its price history is removed. To stop traffic but keep the history, disable it instead.
      </ConfirmDialog>
    </>
  );
}
