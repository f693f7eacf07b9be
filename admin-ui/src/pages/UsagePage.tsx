import { useMemo, useState } from 'react';
import { withQuery } from '../api/client';
import type { UsageStats, UsageTotals } from '../api/types';
import { Legend, Meter, OTHER_COLOR, PALETTE, StackedBars, type ChartGroup } from '../components/charts';
import { Button, Card, EmptyState, ErrorBanner, Loading, PageHeader, Segmented, Stat } from '../components/ui';
import { columnPlaces, compact, credits, num, percent } from '../lib/format';
import { useResource } from '../lib/useResource';
import { RequestsCard } from './RequestsCard';
import { ExportButton } from '../components/ExportButton';

type Range = '24h' | '7d' | '30d' | '90d';
type GroupBy = UsageStats['groupBy'];
type Metric = 'spend' | 'requests' | 'tokens';

const RANGES: Record<Range, { hours: number; bucket: 'hour' | 'day' }> = {
  '24h': { hours: 24, bucket: 'hour' },
  '7d': { hours: 24 * 7, bucket: 'day' },
  '30d': { hours: 24 * 30, bucket: 'day' },
  '90d': { hours: 24 * 90, bucket: 'day' },
};

const METRIC: Record<Metric, { label: string; value: (t: UsageTotals) => number }> = {
  spend: { label: 'Spend', value: (t) => Number(t.cost) },
  requests: { label: 'Requests', value: (t) => t.requests },
  tokens: { label: 'Tokens', value: (t) => t.promptTokens + t.completionTokens },
};

const GROUP_LABEL: Record<GroupBy, string> = { model: 'model', provider: 'provider', user: 'user' };

/** Axis and tooltip numbers: spend keeps the decimals that matter at its scale (prices are tiny per request). */
function formatter(metric: Metric, max: number) {
  if (metric !== 'spend') return (v: number) => compact(Math.round(v));
  const digits = max >= 100 ? 0 : max >= 1 ? 2 : Math.min(6, Math.max(2, 1 - Math.floor(Math.log10(max || 1)) + 1));
  return (v: number) => (v === 0 ? '0' : v.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''));
}

const hourFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });

export function UsagePage() {
  const [range, setRange] = useState<Range>('7d');
  const [groupBy, setGroupBy] = useState<GroupBy>('model');
  const [metric, setMetric] = useState<Metric>('spend');
  const [refresh, setRefresh] = useState(0);
  const query = useMemo(() => {
    const r = RANGES[range];
    return { from: new Date(Date.now() - r.hours * 3_600_000).toISOString(), bucket: r.bucket, groupBy };
  }, [range, groupBy, refresh]);
  const stats = useResource<UsageStats>(withQuery('/stats/usage', query));
  const s = stats.data;

  const groups: ChartGroup[] = (s?.groups ?? []).map((g, i) => ({ key: g.key, label: g.label, color: g.key === '__other__' ? OTHER_COLOR : PALETTE[i % PALETTE.length]! }));
  const m = METRIC[metric];
  const points = (s?.series ?? []).map((p) => ({ bucket: p.bucket, values: Object.fromEntries(Object.entries(p.values).map(([k, t]) => [k, m.value(t)])) }));
  const peak = Math.max(0, ...points.map((p) => Object.values(p.values).reduce((a, b) => a + b, 0)));
  const fmt = formatter(metric, peak);
  const t = s?.totals;
  const totalMetric = t ? m.value(t) : 0;

  return (
    <>
      <PageHeader
        title="Usage"
        description="Requests, tokens and spend across every account, from the request log."
        actions={
          <>
            <Segmented label="Time range" value={range} onChange={setRange} options={(Object.keys(RANGES) as Range[]).map((r) => ({ value: r, label: r }))} />
            <Button icon="refresh" onClick={() => setRefresh((x) => x + 1)} aria-label="Refresh" busy={stats.loading && !!s} />
            <ExportButton path={withQuery('/stats/usage.csv', query)} />
          </>
        }
      />
      <ErrorBanner error={stats.error} onRetry={stats.reload} />
      {!s && stats.loading && <Loading />}
      {s && t && (
        <div className="stack-lg">
          <div className="stats">
            <Stat label="Spend" value={<>{credits(t.cost)} <small>cr</small></>} hint={`over the last ${range}`} />
            <Stat label="Requests" value={num(t.requests)} hint={t.requests ? `${percent(t.errors / t.requests)} failed` : 'none yet'} tone={t.requests && t.errors / t.requests > 0.05 ? 'danger' : undefined} />
            <Stat label="Tokens" value={compact(t.promptTokens + t.completionTokens)} hint={`${compact(t.promptTokens)} in · ${compact(t.completionTokens)} out`} />
            <Stat label="Avg cost / request" value={t.requests ? credits(microsPerRequest(t)) : '—'} hint="credits" />
          </div>
          <Card
            title={`${m.label} by ${GROUP_LABEL[groupBy]}`}
            description={`Per ${s.bucket}, UTC.`}
            actions={
              <div className="card-controls">
                <Segmented label="Group by" value={groupBy} onChange={setGroupBy} options={[{ value: 'model', label: 'Model' }, { value: 'provider', label: 'Provider' }, { value: 'user', label: 'User' }]} />
                <Segmented label="Metric" value={metric} onChange={setMetric} options={[{ value: 'spend', label: 'Spend' }, { value: 'requests', label: 'Requests' }, { value: 'tokens', label: 'Tokens' }]} />
              </div>
            }
          >
            {t.requests === 0 ? (
              <EmptyState icon="usage" title="No traffic in this period">Once apps call the gateway, their usage shows here.</EmptyState>
            ) : (
              <>
                <StackedBars points={points} groups={groups} format={fmt} label={`${m.label} by ${GROUP_LABEL[groupBy]} per ${s.bucket}`} bucketLabel={(iso) => (s.bucket === 'hour' ? hourFmt : dayFmt).format(new Date(iso))} />
                <Legend groups={groups} />
              </>
            )}
          </Card>
          {t.requests > 0 && (
            <Card title={`Breakdown by ${GROUP_LABEL[groupBy]}`} flush>
              <div className="table-wrap">
                <table className="table table-cards">
                  <thead>
                    <tr><th>{GROUP_LABEL[groupBy][0]!.toUpperCase() + GROUP_LABEL[groupBy].slice(1)}</th><th className="num hide-sm">Requests</th><th className="num hide-sm">Errors</th><th className="num hide-sm">Tokens in</th><th className="num hide-sm">Tokens out</th><th className="num">Spend</th><th className="share-col">Share of {m.label.toLowerCase()}</th></tr>
                  </thead>
                  <tbody>
                    {s.groups.map((g, i) => (
                      <tr key={g.key}>
                        <td className="card-title-cell"><span><span className="swatch" style={{ background: groups[i]!.color }} /> {g.label}</span></td>
                        <td className="num hide-sm">{num(g.requests)}</td>
                        <td className="num hide-sm">{num(g.errors)}</td>
                        <td className="num hide-sm">{num(g.promptTokens)}</td>
                        <td className="num hide-sm">{num(g.completionTokens)}</td>
                        <td data-label="Spend" className="num strong">{credits(g.cost, columnPlaces(s.groups.map((x) => x.cost)))}</td>
                        <td data-label={`Share of ${m.label.toLowerCase()}`} className="share-col"><Meter value={totalMetric ? m.value(g) / totalMetric : 0} color={groups[i]!.color} label={`${g.label} share`} /> <span className="muted small">{percent(totalMetric ? m.value(g) / totalMetric : 0, 0)}</span></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          )}
          <RequestsCard title="Recent requests" refreshKey={refresh} />
        </div>
      )}
    </>
  );
}

/** Exact average in microcredits (integer division of the exact total), shown as credits. */
function microsPerRequest(t: UsageTotals): string {
  const avg = BigInt(t.costMicros) / BigInt(t.requests);
  return `${avg / 1_000_000n}.${(avg % 1_000_000n).toString().padStart(6, '0')}`;
}
