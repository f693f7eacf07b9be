import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  rps: number;
  latency: { p50: number; p90: number; p99: number; mean: number; max: number };
  errors: number;
  non2xx: number;
  durationS: number;
}

export interface LoadOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  /** Fixed total request rate (requests/s); omitted = as fast as possible. */
  rate?: number;
}

/** One bounded autocannon run (POST). Latencies in milliseconds. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: o.url,
    method: 'POST',
    body: o.body,
    headers: { 'content-type': 'application/json', ...o.headers },
    connections: o.connections,
    duration: o.durationS,
    ...(o.rate ? { overallRate: o.rate } : {}),
    timeout: 30,
  });
  return {
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    durationS: o.durationS,
  };
}
