import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';

export const PALETTE = ['#6366f1', '#14b8a6', '#f59e0b', '#ec4899', '#0ea5e9', '#8b5cf6', '#84cc16', '#f97316'];
export const OTHER_COLOR = '#94a3b8';

export interface ChartGroup {
  key: string;
  label: string;
  color: string;
}

export interface ChartPoint {
  bucket: string;
  values: Record<string, number>;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(v));
  const f = v / exp;
  return ([1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10].find((s) => f <= s) ?? 10) * exp;
}

function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([e]) => setWidth(Math.floor(e!.contentRect.width)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

/**
 * Stacked bars over time (no chart library: one SVG, a few hundred bytes of logic). Hover, or focus
 * the chart and use ←/→, to read a bucket's values; the tables beside it carry the same numbers.
 */
export function StackedBars({ points, groups, format, label, bucketLabel, height = 240 }: { points: ChartPoint[]; groups: ChartGroup[]; format: (v: number) => string; label: string; bucketLabel: (iso: string) => string; height?: number }) {
  const [ref, width] = useWidth();
  const [active, setActive] = useState<number | null>(null);
  const totals = useMemo(() => points.map((p) => groups.reduce((s, g) => s + (p.values[g.key] ?? 0), 0)), [points, groups]);
  const max = niceMax(Math.max(0, ...totals));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const labelChars = Math.max(...ticks.map((t) => format(t).length));
  const pad = { top: 12, right: 8, bottom: 26, left: Math.max(36, labelChars * 7 + 14) };
  const plotW = Math.max(0, width - pad.left - pad.right);
  const plotH = height - pad.top - pad.bottom;
  const n = Math.max(points.length, 1);
  const slot = plotW / n;
  const barW = Math.max(2, Math.min(36, slot * 0.68));
  const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 64))));
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;

  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    const cur = active ?? (e.key === 'ArrowLeft' ? n : -1);
    setActive(Math.min(n - 1, Math.max(0, cur + (e.key === 'ArrowRight' ? 1 : -1))));
  };

  const tip = active !== null ? points[active] : undefined;
  return (
    <div className="chart" ref={ref} tabIndex={0} role="img" aria-label={`${label}. Use the left and right arrow keys to read each period.`} onKeyDown={onKey} onBlur={() => setActive(null)} onMouseLeave={() => setActive(null)}>
      {width > 0 && (
        <svg width={width} height={height} aria-hidden>
          {ticks.map((t) => (
            <g key={t}>
              <line x1={pad.left} x2={width - pad.right} y1={y(t)} y2={y(t)} className={t === 0 ? 'chart-axis' : 'chart-grid'} />
              <text x={pad.left - 8} y={y(t)} dy="0.32em" textAnchor="end" className="chart-label">
                {format(t)}
              </text>
            </g>
          ))}
          {points.map((p, i) => {
            const x = pad.left + i * slot + (slot - barW) / 2;
            let acc = 0;
            return (
              <g key={p.bucket} onMouseEnter={() => setActive(i)}>
                <rect x={pad.left + i * slot} y={pad.top} width={slot} height={plotH} className={active === i ? 'chart-hover' : 'chart-hit'} />
                {groups.map((g) => {
                  const v = p.values[g.key] ?? 0;
                  if (v <= 0) return null;
                  const y1 = y(acc + v);
                  const h = Math.max(1, y(acc) - y1);
                  acc += v;
                  return <rect key={g.key} x={x} y={y1} width={barW} height={h} fill={g.color} rx={barW > 6 ? 2 : 0} />;
                })}
                {i % every === 0 && (
                  <text x={pad.left + i * slot + slot / 2} y={height - 8} textAnchor="middle" className="chart-label">
                    {bucketLabel(p.bucket)}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
      {tip && (
        <div className="chart-tip" style={{ left: Math.min(Math.max(pad.left + active! * slot + slot / 2, 90), width - 90) }} aria-live="polite">
          <div className="chart-tip-title">{bucketLabel(tip.bucket)}</div>
          {groups
            .filter((g) => (tip.values[g.key] ?? 0) > 0)
            .map((g) => (
              <div key={g.key} className="chart-tip-row">
                <span className="swatch" style={{ background: g.color }} />
                <span className="chart-tip-name">{g.label}</span>
                <span className="num">{format(tip.values[g.key] ?? 0)}</span>
              </div>
            ))}
          <div className="chart-tip-row chart-tip-total">
            <span className="chart-tip-name">Total</span>
            <span className="num">{format(totals[active!] ?? 0)}</span>
          </div>
        </div>
      )}
    </div>
  );
}

export function Legend({ groups }: { groups: ChartGroup[] }) {
  return (
    <ul className="legend">
      {groups.map((g) => (
        <li key={g.key}>
          <span className="swatch" style={{ background: g.color }} />
          {g.label}
        </li>
      ))}
    </ul>
  );
}

/** A thin proportion bar for table cells (share of spend, error rate). */
export function Meter({ value, color, label }: { value: number; color?: string; label: string }) {
  return (
    <span className="meter" role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={Number(value.toFixed(4))} aria-label={label}>
      <span style={{ width: `${Math.min(100, Math.max(0, value * 100))}%`, background: color }} />
    </span>
  );
}
