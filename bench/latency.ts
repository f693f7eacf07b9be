import { Pool } from 'undici';

export interface LatencyResult {
  /** Requests measured (sent after the warm-up). */
  sent: number;
  /**
   * Requests started in all, the unrecorded warm-up included: the load the target carried for
   * the whole call, by which its CPU time over the call is divided.
   */
  started: number;
  ok: number;
  failed: number;
  /** Milliseconds, microsecond resolution. */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  /** Time to first byte (streams), milliseconds. */
  ttfbP50?: number;
  ttfbP99?: number;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Open-loop load at a fixed rate: a request starts every 1/rate s regardless of earlier ones
 * (so slow answers do not hide queueing), for `durationS`, at most rate × duration requests.
 * Latency is measured with a high-resolution clock from send to the last byte.
 */
export async function fixedRate(o: { origin: string; path: string; body: string; headers: Record<string, string>; rate: number; durationS: number; warmupS?: number }): Promise<LatencyResult> {
  const pool = new Pool(o.origin, { connections: 256, pipelining: 1 });
  const total = Math.floor(o.rate * o.durationS);
  const warm = Math.floor(o.rate * (o.warmupS ?? 2));
  const lat = new Float64Array(total);
  const ttfb = new Float64Array(total);
  let ok = 0;
  let failed = 0;
  let n = 0;
  let started = 0;
  const inflight: Promise<void>[] = [];
  const one = async (i: number, record: boolean) => {
    const t0 = process.hrtime.bigint();
    try {
      const res = await pool.request({ method: 'POST', path: o.path, headers: { 'content-type': 'application/json', ...o.headers }, body: o.body });
      let first = 0n;
      for await (const _chunk of res.body) if (!first) first = process.hrtime.bigint();
      const t1 = process.hrtime.bigint();
      if (res.statusCode !== 200) failed++;
      else if (record) {
        lat[ok] = Number(t1 - t0) / 1e6;
        ttfb[ok] = Number((first || t1) - t0) / 1e6;
        ok++;
      }
    } catch {
      failed++;
    }
    void i;
  };
  // Warm-up (not recorded), then the measured run; both paced by the same clock.
  for (const [count, record] of [[warm, false], [total, true]] as const) {
    const start = process.hrtime.bigint();
    const intervalNs = BigInt(Math.round(1e9 / o.rate));
    for (let i = 0; i < count; i++) {
      const due = start + BigInt(i) * intervalNs;
      const now = process.hrtime.bigint();
      if (due > now + 1_000_000n) await new Promise((r) => setTimeout(r, Number((due - now) / 1_000_000n)));
      inflight.push(one(i, record));
      started++;
      if (record) n++;
      if (inflight.length > 5000) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight.splice(0));
  }
  await pool.close();
  const l = lat.slice(0, ok).sort();
  const t = ttfb.slice(0, ok).sort();
  return {
    sent: n,
    started,
    ok,
    failed,
    p50: round(percentile(l, 50)),
    p90: round(percentile(l, 90)),
    p99: round(percentile(l, 99)),
    mean: round(l.reduce((s, x) => s + x, 0) / Math.max(1, ok)),
    ttfbP50: round(percentile(t, 50)),
    ttfbP99: round(percentile(t, 99)),
  };
}
