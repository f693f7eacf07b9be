import { describe, expect, it } from 'vitest';
import { Metrics, type FinishedRequest } from '../../../src/observability/metrics.js';

const finished = (over: Partial<FinishedRequest> = {}): FinishedRequest => ({
  endpoint: 'chat.completions',
  model: 'm',
  provider: 'openai',
  status: 200,
  stream: false,
  totalSeconds: 0.02,
  upstreamSeconds: 0.015,
  tokens: { prompt: 10, completion: 4, cached: 0, cacheWrite: 0, reasoning: 1 },
  chargedMicros: 250n,
  cacheHit: false,
  ...over,
});

/** The value of one exposition line, e.g. `tollgate_requests_total{endpoint="chat.completions",…}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('request counters', () => {
  it('count every request, token and microcredit exactly once, however often the registry is read', async () => {
    const m = new Metrics({ defaultMetrics: false });
    for (let i = 0; i < 3; i++) m.recordRequest(finished());
    m.recordRequest(finished({ status: 502, tokens: undefined, chargedMicros: 0n }));
    m.recordAttempt('openai', 200);
    m.recordAttempt('openai', 200);
    let text = (await m.render()).body;
    expect(sample(text, 'tollgate_requests_total{endpoint="chat.completions",model="m",provider="openai",status="200"}')).toBe(3);
    expect(sample(text, 'tollgate_requests_total{endpoint="chat.completions",model="m",provider="openai",status="502"}')).toBe(1);
    expect(sample(text, 'tollgate_tokens_total{model="m",kind="prompt"}')).toBe(30);
    expect(sample(text, 'tollgate_tokens_total{model="m",kind="completion"}')).toBe(12);
    expect(sample(text, 'tollgate_tokens_total{model="m",kind="reasoning"}')).toBe(3);
    expect(sample(text, 'tollgate_tokens_total{model="m",kind="cached_prompt"}')).toBeUndefined();
    expect(sample(text, 'tollgate_credits_charged_microcredits_total{model="m"}')).toBe(750);
    expect(sample(text, 'tollgate_upstream_attempts_total{provider="openai",status="200"}')).toBe(2);

    // A second read adds nothing; what came after it is added once.
    text = (await m.render()).body;
    expect(sample(text, 'tollgate_requests_total{endpoint="chat.completions",model="m",provider="openai",status="200"}')).toBe(3);
    m.recordRequest(finished());
    text = (await m.render()).body;
    expect(sample(text, 'tollgate_requests_total{endpoint="chat.completions",model="m",provider="openai",status="200"}')).toBe(4);
    expect(sample(text, 'tollgate_tokens_total{model="m",kind="prompt"}')).toBe(40);
    expect(sample(text, 'tollgate_credits_charged_microcredits_total{model="m"}')).toBe(1000);
    const json = await m.registry.getMetricsAsJSON();
    expect(json.find((x) => x.name === 'tollgate_upstream_attempts_total')?.values).toEqual([{ labels: { provider: 'openai', status: '200' }, value: 2 }]);
  });
});
