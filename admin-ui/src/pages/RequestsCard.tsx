import { useState } from 'react';
import { withQuery, type Query } from '../api/client';
import type { RequestDetail, RequestRow } from '../api/types';
import { Dialog } from '../components/Dialog';
import { Badge, Card, EmptyState, ErrorBanner, Loading, LoadMore, Mono, Segmented } from '../components/ui';
import { columnPlaces, credits, ms, num, when } from '../lib/format';
import { Link } from '../lib/router';
import { usePages } from '../lib/usePages';
import { useResource } from '../lib/useResource';

export function statusBadge(status: number) {
  if (status === 0) return <Badge tone="danger" dot>Abandoned</Badge>;
  return <Badge tone={status < 400 ? 'success' : status < 500 ? 'warning' : 'danger'} dot>{status}</Badge>;
}

export function RequestDialog({ id, onClose }: { id: string; onClose: () => void }) {
  const r = useResource<RequestDetail>(`/requests/${encodeURIComponent(id)}`);
  const d = r.data;
  return (
    <Dialog open onClose={onClose} title="Request" description={<Mono>{id}</Mono>} wide>
      <div className="dialog-body">
        <ErrorBanner error={r.error} />
        {!d && r.loading && <Loading />}
        {d && (
          <>
            <dl className="details">
              <dt>Started</dt><dd>{when(d.startedAt)}</dd>
              <dt>Status</dt><dd>{statusBadge(d.status)} {d.errorCode && <Mono>{d.errorCode}</Mono>}</dd>
              {d.errorMessage && <><dt>Error message</dt><dd className="error-message">{d.errorMessage}</dd></>}
              <dt>User</dt><dd>{d.userEmail ?? '—'} {d.keyPrefix && <span className="muted">with key <Mono>{d.keyPrefix}…</Mono> {d.keyName}</span>}</dd>
              <dt>Model</dt><dd>{d.model ?? '—'}{d.servedModel && d.servedModel !== d.model && <> → served by <strong>{d.servedModel}</strong></>} {d.provider && <span className="muted">on {d.provider}{d.upstreamModel && ` (${d.upstreamModel})`}</span>}</dd>
              <dt>Tokens</dt><dd>{num(d.promptTokens)} in ({num(d.cachedTokens)} cached) · {num(d.completionTokens)} out{d.reasoningTokens ? ` (${num(d.reasoningTokens)} reasoning)` : ''} {d.usageEstimated && <Badge tone="warning">Estimated</Badge>}</dd>
              <dt>Cost</dt><dd><strong>{credits(d.cost)}</strong> credits {d.cacheHit && <Badge tone="info">Cache hit</Badge>}</dd>
              <dt>Latency</dt><dd>{ms(d.latencyMs)} total{d.upstreamLatencyMs !== null && ` · ${ms(d.upstreamLatencyMs)} upstream`}{d.stream && ' · streamed'}</dd>
              {d.maxTokensClamped !== null && <><dt>max_tokens</dt><dd>clamped to {num(d.maxTokensClamped)} by the balance</dd></>}
              {d.tags && <><dt>Tags</dt><dd>{Object.entries(d.tags).map(([k, v]) => <Badge key={k}>{k}: {v}</Badge>)}</dd></>}
              {d.accountId && <><dt>Account</dt><dd><Link to={`/credits/${d.accountId}`}>Ledger</Link></dd></>}
            </dl>
            {d.attempts.length > 0 && (
              <>
                <h3 className="subheading">Upstream attempts</h3>
                <div className="table-wrap">
                  <table className="table table-cards">
                    <thead><tr><th>Attempt</th><th>Provider</th><th>Model</th><th>Status</th><th className="num">Latency</th></tr></thead>
                    <tbody>
                      {d.attempts.map((a) => (
                        <tr key={a.attemptId}>
                          <td data-label="Attempt"><Mono>{a.attemptId}</Mono></td>
                          <td data-label="Provider">{a.provider}</td>
                          <td data-label="Model">{a.model}</td>
                          <td data-label="Status">{statusBadge(a.status)} {a.error && <span className="muted small">{a.error}</span>}</td>
                          <td data-label="Latency" className="num">{ms(a.latencyMs)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        )}
      </div>
    </Dialog>
  );
}

/** Requests as a table (as cards on phones): time, user, model, tokens, cost, latency, status and the error the client got. */
export function RequestTable({ rows, showUser, onOpen }: { rows: RequestRow[]; showUser: boolean; onOpen: (id: string) => void }) {
  const places = columnPlaces(rows.map((r) => r.cost));
  return (
    <div className="table-wrap">
      <table className="table table-cards requests-table">
        <thead>
          <tr><th>Time</th>{showUser && <th className="hide-sm">User</th>}<th>Model</th><th className="num hide-sm">Tokens in / out</th><th className="num">Cost</th><th className="num hide-sm">Latency</th><th>Status</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td className="time-cell card-title-cell"><button type="button" className="link-btn" onClick={() => onOpen(r.id)} aria-label={`Request ${r.id} details`}>{when(r.startedAt)}</button></td>
              {showUser && <td className="truncate hide-sm card-show" data-label="User">{r.userEmail ?? <span className="muted">—</span>}</td>}
              <td data-label="Model">
                <div>
                  {r.servedModel ?? r.model ?? <span className="muted">—</span>}
                  {r.provider && <div className="sub">{r.provider}{r.servedModel && r.model && r.servedModel !== r.model ? ` · fallback from ${r.model}` : ''}</div>}
                </div>
              </td>
              <td className="num hide-sm">{num(r.promptTokens)} / {num(r.completionTokens)}</td>
              <td className="num strong cost-cell" data-label="Cost">{credits(r.cost, places)}</td>
              <td className="num hide-sm">{ms(r.latencyMs)}</td>
              <td className="status-cell" data-label="Status">
                <div>
                  {statusBadge(r.status)} {r.cacheHit && <Badge tone="info">Cached</Badge>}
                  {r.errorMessage && <div className="sub error-message" title={r.errorMessage}>{r.errorMessage}</div>}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The request log, newest first, with cost; "Load more" pages back in time. */
export function RequestsCard({ filter, title, refreshKey, limit = 25 }: { filter?: Query; title: string; refreshKey?: number; limit?: number }) {
  const showUser = !filter?.userId;
  const [status, setStatus] = useState<'all' | 'error'>('all');
  const [open, setOpen] = useState<string>();
  const { rows, error, loading, hasMore, reload, more } = usePages<RequestRow>(withQuery('/requests', { ...filter, status, limit }), refreshKey);

  return (
    <Card
      title={title}
      actions={
        <>
          <Segmented label="Request status" value={status} onChange={setStatus} options={[{ value: 'all', label: 'All' }, { value: 'error', label: 'Errors' }]} />
          <Link to={withQuery('/requests', { ...filter, status: status === 'all' ? undefined : status })} className="text-link">Request log →</Link>
        </>
      }
      flush
    >
      <ErrorBanner error={error} onRetry={reload} />
      {rows?.length === 0 && <EmptyState icon="usage" title={status === 'error' ? 'No failed requests' : 'No requests yet'}>{status === 'error' ? 'Nothing failed in this view.' : 'Requests appear here as soon as they finish.'}</EmptyState>}
      {rows && rows.length > 0 && <RequestTable rows={rows} showUser={showUser} onOpen={setOpen} />}
      <LoadMore loading={loading} hasMore={hasMore} onMore={more} />
      {open && <RequestDialog id={open} onClose={() => setOpen(undefined)} />}
    </Card>
  );
}
