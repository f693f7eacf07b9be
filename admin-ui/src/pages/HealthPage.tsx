import { useState } from 'react';
import type { BreakerState, Health } from '../api/types';
import { Meter } from '../components/charts';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, Mono, PageHeader, Segmented, Stat, type Tone } from '../components/ui';
import { clock, ms, num, percent, when } from '../lib/format';
import { useResource } from '../lib/useResource';

const WINDOWS = { '15': '15 min', '60': '1 hour', '1440': '24 hours' } as const;
type Window = keyof typeof WINDOWS;

const BREAKER: Record<BreakerState['state'], { label: string; tone: Tone; help: string }> = {
  closed: { label: 'Closed', tone: 'success', help: 'Healthy: traffic flows.' },
  half_open: { label: 'Half-open', tone: 'warning', help: 'Probing: a few trial requests decide whether it closes again.' },
  open: { label: 'Open', tone: 'danger', help: 'Tripped: requests skip this key and go to the fallback chain.' },
};

/** "in 42 s" / "in 3 min" until a time, or "due now" once it has passed. */
function until(iso: string): string {
  const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  if (s <= 0) return 'due now';
  return s < 120 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}

/** When and why a breaker opened, and when it probes next. */
function BreakerHistory({ b }: { b: BreakerState }) {
  if (b.state === 'closed' || !b.openedAt) {
    return b.lastFailureAt ? <span className="muted">Last failure {when(b.lastFailureAt)}</span> : <span className="muted">—</span>;
  }
  return (
    <div>
      <div>Opened {when(b.openedAt)} after {num(b.openedAfterFailures)} {b.openedAfterFailures === 1 ? 'failure' : 'failures'}</div>
      {b.openReason && <div className="sub error-message" title={b.openReason}>{b.openReason}</div>}
      <div className="sub">{b.state === 'half_open' ? 'Probing now: the next request decides.' : b.nextProbeAt ? `Next probe ${when(b.nextProbeAt)} (${until(b.nextProbeAt)})` : ''}</div>
    </div>
  );
}

function errorTone(rate: number): Tone | undefined {
  return rate >= 0.05 ? 'danger' : rate >= 0.01 ? 'warning' : undefined;
}

function Breakers({ breakers, instance }: { breakers: BreakerState[]; instance: string }) {
  const counts = { open: 0, half_open: 0, closed: 0 };
  for (const b of breakers) counts[b.state]++;
  const sorted = [...breakers].sort((a, b) => ['open', 'half_open', 'closed'].indexOf(a.state) - ['open', 'half_open', 'closed'].indexOf(b.state) || a.provider.localeCompare(b.provider));
  return (
    <Card
      title="Circuit breakers"
      description={<>One per provider key, as seen by instance <Mono>{instance}</Mono>.</>}
      actions={breakers.length > 0 && (
        <div className="breaker-summary">
          <Badge tone={counts.open ? 'danger' : 'neutral'} dot>{counts.open} open</Badge>
          <Badge tone={counts.half_open ? 'warning' : 'neutral'} dot>{counts.half_open} half-open</Badge>
          <Badge tone="success" dot>{counts.closed} closed</Badge>
        </div>
      )}
      flush
    >
      {breakers.length === 0 ? (
        <EmptyState icon="shield" title="No breakers reported">
          This instance has no circuit breaker state to show yet. Breakers appear here, one per provider key, once the gateway's upstream failure handling has registered them.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table table-cards">
            <thead>
              <tr><th>Provider</th><th>Key</th><th>State</th><th>Since / why / next probe</th><th className="num" title="In the breaker's rolling window">Failures</th><th className="num hide-sm">Successes</th><th className="num hide-sm">In flight</th></tr>
            </thead>
            <tbody>
              {sorted.map((b) => (
                <tr key={`${b.provider}/${b.keyId}`} className={b.state === 'open' ? 'row-danger' : undefined}>
                  <td className="card-title-cell"><strong>{b.provider}</strong></td>
                  <td data-label="Key"><span><Mono>••••{b.last4}</Mono> {b.keyLabel && <span className="muted">{b.keyLabel}</span>}</span></td>
                  <td data-label="State" title={BREAKER[b.state].help}><Badge tone={BREAKER[b.state].tone} dot>{BREAKER[b.state].label}</Badge></td>
                  <td data-label="History" className="breaker-history"><BreakerHistory b={b} /></td>
                  <td data-label="Failures (window)" className="num">{num(b.failures)}</td>
                  <td className="num hide-sm">{num(b.successes)}</td>
                  <td className="num hide-sm">{num(b.inFlight)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

export function HealthPage() {
  const [win, setWin] = useState<Window>('60');
  const health = useResource<Health>(`/health?minutes=${win}`, 15_000);
  const h = health.data;
  const [updated, setUpdated] = useState<Date>();
  const [seen, setSeen] = useState<Health>();
  if (h && h !== seen) {
    setSeen(h);
    setUpdated(new Date());
  }
  const r = h?.requests;
  return (
    <>
      <PageHeader
        title="Health"
        description={<>Error and cache-hit rates from the request log; breaker states live from this instance. {updated && <span className="muted">Updated {clock(updated)}, refreshes every 15 s.</span>}</>}
        actions={
          <>
            <Segmented label="Window" value={win} onChange={setWin} options={(Object.keys(WINDOWS) as Window[]).map((w) => ({ value: w, label: WINDOWS[w] }))} />
            <Button icon="refresh" aria-label="Refresh" onClick={() => void health.reload()} busy={health.loading && !!h} />
          </>
        }
      />
      <ErrorBanner error={health.error} onRetry={health.reload} />
      {!h && health.loading && <Loading />}
      {h && r && (
        <div className="stack-lg">
          <div className="stats">
            <Stat label="Requests" value={num(r.total)} hint={`in the last ${WINDOWS[win]}`} />
            <Stat label="Server error rate" value={percent(r.serverErrorRate)} hint={`${num(r.serverErrors)} 5xx or abandoned`} tone={errorTone(r.serverErrorRate)} />
            <Stat label="Client errors" value={num(r.clientErrors)} hint="4xx: bad input, auth, credits, limits" />
            <Stat label="Cache hit rate" value={percent(r.cacheHitRate)} hint={`${num(r.cacheHits)} answered from cache`} tone={r.cacheHitRate > 0 ? 'success' : undefined} />
          </div>
          <Card title="Providers" description="Upstream errors and latency per provider in the window." flush>
            {h.providers.length === 0 ? (
              <EmptyState icon="health" title="No upstream traffic in this window" />
            ) : (
              <div className="table-wrap">
                <table className="table table-cards">
                  <thead>
                    <tr><th>Provider</th><th className="num">Requests</th><th className="num hide-sm">Errors</th><th className="share-col">Error rate</th><th className="num hide-sm">p50 latency</th><th className="num">p95 latency</th></tr>
                  </thead>
                  <tbody>
                    {h.providers.map((p) => (
                      <tr key={p.provider}>
                        <td className="card-title-cell"><strong>{p.provider}</strong></td>
                        <td data-label="Requests" className="num">{num(p.requests)}</td>
                        <td className="num hide-sm">{num(p.errors)}</td>
                        <td data-label="Error rate" className="share-col">
                          <Meter value={p.errorRate} color={p.errorRate >= 0.05 ? 'var(--danger)' : p.errorRate >= 0.01 ? 'var(--warning)' : 'var(--success)'} label={`${p.provider} error rate`} /> <span className="small">{percent(p.errorRate)}</span>
                        </td>
                        <td className="num hide-sm">{ms(p.p50LatencyMs)}</td>
                        <td data-label="p95 latency" className="num">{ms(p.p95LatencyMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Breakers breakers={h.breakers} instance={h.instance} />
        </div>
      )}
    </>
  );
}
