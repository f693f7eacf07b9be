import { useState } from 'react';
import { api } from '../api/client';
import type { List, Model, Provider } from '../api/types';
import { toast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, Mono, PageHeader, Switch } from '../components/ui';
import { columnPlaces, compact, credits } from '../lib/format';
import { Link } from '../lib/router';
import { useResource } from '../lib/useResource';
import { ModelDialog } from './ModelDialog';

export function ModelsPage() {
  const models = useResource<List<Model>>('/models');
  const providers = useResource<List<Provider>>('/providers');
  const [adding, setAdding] = useState(false);
  const list = models.data?.data;
  const places = columnPlaces((list ?? []).flatMap((m) => [m.price?.inputPerMtok, m.price?.outputPerMtok, m.price?.cachedInputPerMtok]));
  const noProviders = providers.data?.data.length === 0;

  const setEnabled = async (m: Model, enabled: boolean) => {
    try {
      await api('PATCH', `/models/${encodeURIComponent(m.alias)}`, { enabled });
      toast(`${m.alias} ${enabled ? 'enabled' : 'disabled'}`);
      await models.reload();
    } catch (err) {
      toast((err as Error).message, 'danger');
    }
  };

  return (
    <>
      <PageHeader
        title="Models & prices"
        description="The catalogue apps can call. Changes reach every gateway instance within a second."
        actions={
          <Button need="catalogue" variant="primary" icon="plus" onClick={() => setAdding(true)} disabled={noProviders} title={noProviders ? 'Add a provider first' : undefined}>
            Add model
          </Button>
        }
      />
      <ErrorBanner error={models.error} onRetry={models.reload} />
      {!list && models.loading && <Loading />}
      {list && (
        <Card flush>
          {list.length === 0 ? (
            <EmptyState icon="models" title="No models yet" action={!noProviders && <Button need="catalogue" variant="primary" icon="plus" onClick={() => setAdding(true)}>Add model</Button>}>
              {noProviders ? 'Add a provider first, then the models it serves.' : 'Give a provider’s model an alias and a price.'}
            </EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table table-hover table-cards">
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Provider</th>
                    <th className="num">Input</th>
                    <th className="num">Output</th>
                    <th className="num hide-sm">Cached</th>
                    <th className="num hide-sm">Context</th>
                    <th className="hide-sm">Fallbacks</th>
                    <th>Enabled</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((m) => (
                    <tr key={m.alias}>
                      <td className="card-title-cell">
                        <div>
                          <Link to={`/models/${encodeURIComponent(m.alias)}`} className="row-link">
                            {m.alias}
                          </Link>
                          <div className="sub">
                            <Mono>{m.upstreamModel}</Mono>
                            {m.kind === 'embedding' && <Badge>Embedding</Badge>}
                          </div>
                        </div>
                      </td>
                      <td data-label="Provider">{m.providerId}</td>
                      <td data-label="Input" className="num">{credits(m.price?.inputPerMtok, places)}</td>
                      <td data-label="Output" className="num">{credits(m.price?.outputPerMtok, places)}</td>
                      <td className="num hide-sm">{credits(m.price?.cachedInputPerMtok, places)}</td>
                      <td className="num hide-sm">{compact(m.contextWindow)}</td>
                      <td className="hide-sm">{m.fallbacks.length ? <span className="chain">{m.fallbacks.join(' → ')}</span> : <span className="muted">—</span>}</td>
                      <td data-label="Enabled">
                        <Switch need="catalogue" checked={m.enabled} label={`${m.alias} enabled`} onChange={(v) => setEnabled(m, v)} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
      {list && list.length > 0 && <p className="footnote">Prices in credits per 1M tokens, in force now. Open a model to edit it, schedule a price change or set its fallback chain.</p>}
      <ModelDialog open={adding} providers={providers.data?.data ?? []} onClose={() => setAdding(false)} />
    </>
  );
}
