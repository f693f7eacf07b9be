import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { withQuery } from '../api/client';
import type { ApiKey, List, Model, Provider, RequestRow, User } from '../api/types';
import { ExportButton } from '../components/ExportButton';
import { Icon } from '../components/icons';
import { Button, Card, EmptyState, ErrorBanner, Loading, LoadMore, PageHeader } from '../components/ui';
import { navigate } from '../lib/router';
import { usePages } from '../lib/usePages';
import { useResource } from '../lib/useResource';
import { RequestDialog, RequestTable } from './RequestsCard';

/** The filters the page keeps in its address (so a filtered view can be shared and reloaded). */
const FILTERS = ['q', 'userId', 'keyId', 'model', 'provider', 'status', 'tag', 'from', 'to'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

function readFilters(): Filters {
  const params = new URLSearchParams(window.location.search);
  const out: Filters = {};
  for (const f of FILTERS) {
    const v = params.get(f);
    if (v) out[f] = v;
  }
  return out;
}

/** The address's filters, updated when the address changes (back/forward, links). */
function useFilters(): Filters {
  const [filters, setFilters] = useState(readFilters);
  useEffect(() => {
    const on = () => setFilters(readFilters());
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return filters;
}

const show = (f: Filters) => navigate(withQuery('/requests', f));

/** datetime-local shows local time without a zone; the API takes ISO times. */
const toLocalInput = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
};
const fromLocalInput = (v: FormDataEntryValue | null) => (typeof v === 'string' && v ? new Date(v).toISOString() : undefined);

const STATUS_OPTIONS = [
  { value: '', label: 'Any status' },
  { value: 'ok', label: 'Succeeded' },
  { value: 'error', label: 'Failed (any error)' },
  { value: '400', label: '400 Bad request' },
  { value: '401', label: '401 Unauthenticated' },
  { value: '4xx', label: '4xx Any client error' },
  { value: '402', label: '402 Out of credits or over a cap' },
  { value: '403', label: '403 Model not allowed / forbidden' },
  { value: '404', label: '404 Unknown model' },
  { value: '429', label: '429 Rate limited' },
  { value: '499', label: '499 Client went away' },
  { value: '500', label: '500 Internal error' },
  { value: '502', label: '502 Provider error' },
  { value: '503', label: '503 Unavailable' },
  { value: '504', label: '504 Timed out' },
  { value: '529', label: '529 Provider overloaded' },
  { value: '5xx', label: '5xx Any server or provider error' },
];

function FilterField({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

function FilterBar({ filters }: { filters: Filters }) {
  const users = useResource<List<User>>('/users');
  const keys = useResource<List<ApiKey>>(withQuery('/keys', { status: 'all', limit: 500 }));
  const models = useResource<List<Model>>('/models');
  const providers = useResource<List<Provider>>('/providers');
  const ids = { models: useId(), providers: useId() };
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const d = new FormData(e.currentTarget);
    const text = (name: string) => {
      const v = d.get(name);
      return typeof v === 'string' && v.trim() ? v.trim() : undefined;
    };
    show({ ...filters, userId: text('userId'), keyId: text('keyId'), model: text('model'), provider: text('provider'), status: text('status'), tag: text('tag'), from: fromLocalInput(d.get('from')), to: fromLocalInput(d.get('to')) });
  };
  // Keyed on the address: the form shows the filters in force after back/forward or a link.
  const key = JSON.stringify(filters);
  const userKeys = (keys.data?.data ?? []).filter((k) => !filters.userId || k.userId === filters.userId);
  const count = Object.keys(filters).filter((f) => f !== 'q').length;
  // On a phone the filters fold away behind a button (open when some are in force).
  const [open, setOpen] = useState(count > 0);
  return (
    <Card className={`filters-card ${open ? 'open' : ''}`}>
      <button type="button" className="filters-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <span>Filters{count ? ` (${count} in force)` : ''}</span>
        <Icon name={open ? 'up' : 'down'} />
      </button>
      <form key={key} className="filters" onSubmit={apply} aria-label="Request filters">
        <FilterField label="User">
          {(id) => (
            <select id={id} name="userId" className="input" defaultValue={filters.userId ?? ''}>
              <option value="">Everyone</option>
              {filters.userId && !users.data?.data.some((u) => u.id === filters.userId) && <option value={filters.userId}>{filters.userId}</option>}
              {(users.data?.data ?? []).map((u) => <option key={u.id} value={u.id}>{u.email}</option>)}
            </select>
          )}
        </FilterField>
        <FilterField label="API key">
          {(id) => (
            <select id={id} name="keyId" className="input" defaultValue={filters.keyId ?? ''}>
              <option value="">Any key</option>
              {filters.keyId && !userKeys.some((k) => k.id === filters.keyId) && <option value={filters.keyId}>{filters.keyId}</option>}
              {userKeys.map((k) => <option key={k.id} value={k.id}>{k.prefix}… {k.name ? `${k.name} ` : ''}({k.userEmail})</option>)}
            </select>
          )}
        </FilterField>
        <FilterField label="Model">
          {(id) => <input id={id} name="model" className="input" list={ids.models} defaultValue={filters.model ?? ''} placeholder="Any model" autoComplete="off" />}
        </FilterField>
        <datalist id={ids.models}>{(models.data?.data ?? []).map((m) => <option key={m.alias} value={m.alias} />)}</datalist>
        <FilterField label="Provider">
          {(id) => <input id={id} name="provider" className="input" list={ids.providers} defaultValue={filters.provider ?? ''} placeholder="Any provider" autoComplete="off" />}
        </FilterField>
        <datalist id={ids.providers}>{(providers.data?.data ?? []).map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</datalist>
        <FilterField label="Status">
          {(id) => (
            <select id={id} name="status" className="input" defaultValue={filters.status ?? ''}>
              {STATUS_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
              {filters.status && !STATUS_OPTIONS.some((o) => o.value === filters.status) && <option value={filters.status}>{filters.status}</option>}
            </select>
          )}
        </FilterField>
        <FilterField label="Tag">
          {(id) => <input id={id} name="tag" className="input" defaultValue={filters.tag ?? ''} placeholder="key:value" autoComplete="off" />}
        </FilterField>
        <FilterField label="From">
          {(id) => <input id={id} name="from" type="datetime-local" step={1} className="input" defaultValue={toLocalInput(filters.from)} />}
        </FilterField>
        <FilterField label="To">
          {(id) => <input id={id} name="to" type="datetime-local" step={1} className="input" defaultValue={toLocalInput(filters.to)} />}
        </FilterField>
        <div className="filters-actions">
          <Button type="submit" variant="primary" icon="search">Apply filters</Button>
          <Button variant="ghost" onClick={() => show({})}>Clear filters</Button>
        </div>
      </form>
    </Card>
  );
}

function IdSearch({ value }: { value: string | undefined }) {
  return (
    <form
      key={value ?? ''}
      className="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        const v = new FormData(e.currentTarget).get('q');
        show({ ...readFilters(), q: typeof v === 'string' && v.trim() ? v.trim() : undefined });
      }}
    >
      <Icon name="search" />
      <input className="input mono-input" type="search" name="q" aria-label="Search by request id" placeholder="Search by request id" defaultValue={value} autoComplete="off" spellCheck={false} />
    </form>
  );
}

/** Every request the gateway answered: who, what, what it cost, how it ended, and what the client was told. */
export function RequestsPage() {
  const filters = useFilters();
  const [open, setOpen] = useState<string>();
  const { rows, error, loading, hasMore, reload, more } = usePages<RequestRow>(withQuery('/requests', { ...filters, limit: 50 }));
  const active = Object.keys(filters).length > 0;
  return (
    <>
      <PageHeader
        title="Requests"
        description="Every request the gateway answered, newest first: who sent it, which provider served it, what it cost and what the client was told."
        actions={
          <>
            <IdSearch value={filters.q} />
            <ExportButton path={withQuery('/requests.csv', filters)} />
          </>
        }
      />
      <div className="stack-lg">
        <FilterBar filters={filters} />
        <Card flush>
          <ErrorBanner error={error} onRetry={reload} />
          {!rows && loading && <Loading />}
          {rows?.length === 0 && <EmptyState icon="list" title={active ? 'No requests match' : 'No requests yet'}>{active ? 'Try fewer filters or a longer time range.' : 'Requests appear here as soon as they finish.'}</EmptyState>}
          {rows && rows.length > 0 && <RequestTable rows={rows} showUser={!filters.userId} onOpen={setOpen} />}
          {rows && <LoadMore loading={loading} hasMore={hasMore} onMore={more} label="Load older requests" />}
        </Card>
      </div>
      {open && <RequestDialog id={open} onClose={() => setOpen(undefined)} />}
    </>
  );
}
