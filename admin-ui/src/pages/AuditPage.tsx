import { Fragment, useEffect, useState } from 'react';
import { withQuery } from '../api/client';
import type { AuditEntry } from '../api/types';
import { Badge, Card, EmptyState, ErrorBanner, LoadMore, Loading, Mono, PageHeader, SearchBox, type Tone } from '../components/ui';
import { when } from '../lib/format';
import { usePages } from '../lib/usePages';
import './team.css';

const TARGETS = [
  { value: '', label: 'Everything' },
  { value: 'provider', label: 'Providers' },
  { value: 'provider_key', label: 'Provider keys' },
  { value: 'model', label: 'Models & prices' },
  { value: 'plan', label: 'Plans' },
  { value: 'user', label: 'Users' },
  { value: 'api_key', label: 'API keys' },
  { value: 'account', label: 'Credits' },
  { value: 'admin_account', label: 'Admin accounts' },
];

const VERB_TONE: Record<string, Tone> = { create: 'success', delete: 'danger', revoke: 'danger', grant: 'success', adjustment: 'warning', update: 'info' };
const IGNORED = new Set(['updatedAt']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const short = (v: unknown) => {
  const s = v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 48 ? `${s.slice(0, 47)}…` : s;
};

/** The fields that changed between before and after (top level), for the list's one-line summary. */
function changedFields(before: unknown, after: unknown): { field: string; from: unknown; to: unknown }[] {
  if (!isObject(before) || !isObject(after)) return [];
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...fields].filter((f) => !IGNORED.has(f) && JSON.stringify(before[f]) !== JSON.stringify(after[f])).map((f) => ({ field: f, from: before[f], to: after[f] }));
}

function Summary({ e }: { e: AuditEntry }) {
  const changes = changedFields(e.before, e.after);
  if (e.before === null) return <span className="muted">Created</span>;
  if (e.after === null) return <span className="muted">Deleted</span>;
  if (changes.length === 0) return <span className="muted">No field changed</span>;
  return (
    <ul className="audit-changes">
      {changes.slice(0, 3).map((c) => (
        <li key={c.field}>
          <Mono>{c.field}</Mono> <span className="audit-from">{short(c.from)}</span> → <span className="audit-to">{short(c.to)}</span>
        </li>
      ))}
      {changes.length > 3 && <li className="muted">and {changes.length - 3} more</li>}
    </ul>
  );
}

/** The value once it has stopped changing for a moment (typing in a filter asks the API once). */
function useSettled<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** Every admin change, newest first: who, when, what, and the target before → after. */
export function AuditPage() {
  const [actor, setActor] = useState('');
  const [targetType, setTargetType] = useState('');
  const [targetId, setTargetId] = useState('');
  const [open, setOpen] = useState<string>();
  const query = useSettled(withQuery('/audit', { actor: actor.trim(), targetType, targetId: targetId.trim(), limit: 50 }));
  const pages = usePages<AuditEntry>(query);
  return (
    <>
      <PageHeader title="Audit log" description="Every change made through the admin API or this panel: who made it (an account or the admin token), when, and what the target was before and after. Secrets are never recorded." />
      <div className="toolbar audit-filters">
        <SearchBox value={actor} onChange={setActor} label="Filter by who (email, or token)" />
        <select className="input audit-select" aria-label="What changed" value={targetType} onChange={(e) => setTargetType(e.target.value)}>
          {TARGETS.map((t) => (
            <option key={t.value} value={t.value}>{t.label}</option>
          ))}
        </select>
        <input className="input audit-target" aria-label="Target id" placeholder="Target id" value={targetId} onChange={(e) => setTargetId(e.target.value)} />
      </div>
      <ErrorBanner error={pages.error} onRetry={pages.reload} />
      {!pages.rows && pages.loading && <Loading />}
      {pages.rows && (
        <Card flush>
          {pages.rows.length === 0 ? (
            <EmptyState icon="audit" title="Nothing recorded">
              {actor || targetType || targetId ? 'No change matches these filters.' : 'Changes made through the admin API or this panel appear here.'}
            </EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table audit-table">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Who</th>
                    <th>Action</th>
                    <th className="hide-sm">Change</th>
                    <th className="actions-col"><span className="sr-only">Details</span></th>
                  </tr>
                </thead>
                <tbody>
                  {pages.rows.map((e) => {
                    const verb = e.action.split('.').at(-1) ?? '';
                    return (
                      <Fragment key={e.id}>
                        <tr>
                          <td className="audit-when">{when(e.at)}</td>
                          <td>
                            {e.actorKind === 'token' ? <Badge>Admin token</Badge> : <span className="audit-actor">{e.actor}</span>}
                          </td>
                          <td>
                            <Badge tone={VERB_TONE[verb] ?? 'neutral'}>{e.action}</Badge>
                            <div className="sub"><Mono>{e.targetId ?? e.targetType}</Mono></div>
                          </td>
                          <td className="hide-sm"><Summary e={e} /></td>
                          <td className="actions-col">
                            <button type="button" className="link-btn" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? undefined : e.id)}>
                              {open === e.id ? 'Hide' : 'Details'}
                            </button>
                          </td>
                        </tr>
                        {open === e.id && (
                          <tr className="audit-detail">
                            <td colSpan={5}>
                              <div className="audit-json">
                                <div>
                                  <div className="subheading">Before</div>
                                  <pre>{e.before === null ? '—' : JSON.stringify(e.before, null, 2)}</pre>
                                </div>
                                <div>
                                  <div className="subheading">After</div>
                                  <pre>{e.after === null ? '—' : JSON.stringify(e.after, null, 2)}</pre>
                                </div>
                              </div>
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          <LoadMore loading={pages.loading && !!pages.rows?.length} hasMore={pages.hasMore} onMore={() => void pages.more()} label="Older changes" />
        </Card>
      )}
    </>
  );
}
