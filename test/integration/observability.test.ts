import { PassThrough } from 'node:stream';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { CHAT_MODELS } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

const logs: Record<string, unknown>[] = [];
const sink = new PassThrough();
sink.on('data', (b: Buffer) => {
  for (const line of b.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line));
});

let gw: TestGateway;
let client: OpenAI;
let key: string;
useGatewayHarness({ env: { LOG_LEVEL: 'info' }, logTo: sink }, (h) => ({ gw, client, key } = h));

const model = CHAT_MODELS.openai;

describe('observability', () => {
  it('logs one JSON line per request with its request id, and never a secret', async () => {
    const { response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'log me' }] }).withResponse();
    const reqId = response.headers.get('x-request-id');
    // The log line is written when the request finishes, which may be after the client has its answer.
    const line = await waitFor(() => logs.find((l) => l.reqId === reqId && l.msg === 'request'), { what: `the log line of ${reqId}` });
    expect(line).toMatchObject({ msg: 'request', method: 'POST', path: '/v1/chat/completions', status: 200, model, provider: 'openai', promptTokens: 2, service: 'tollgate' });
    expect(typeof line.latencyMs).toBe('number');
    const failed = await client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    const failedId = failed.headers.get('x-request-id');
    const failedLine = await waitFor(() => logs.find((l) => l.reqId === failedId && l.msg === 'request'), { what: `the log line of ${failedId}` });
    expect(failedLine).toMatchObject({ status: 404, errorCode: 'model_not_found' });
    // Checked after both requests' lines were written, so nothing they logged escapes the check.
    const all = JSON.stringify(logs);
    expect(all).not.toContain(key);
    expect(all).not.toContain('mock-openai-key-0001');
    expect(all).not.toContain(gw.adminToken);
  });

  it('exposes Prometheus metrics: requests, latency split into gateway overhead and upstream time, tokens, credits', async () => {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'count me' }] });
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    await res.text();
    // Counted when the request finishes, which may be just after the client has its answer.
    const requests = /tollgate_requests_total\{endpoint="chat\.completions",model="gpt-4o-mini",provider="openai",status="200"\} [2-9]/;
    const text = await waitFor(async () => {
      const t = await (await fetch(`${gw.url}/metrics`)).text();
      return requests.test(t) && t;
    }, { what: 'both served requests in tollgate_requests_total' });
    expect(text).toMatch(/tollgate_gateway_overhead_seconds_count\{endpoint="chat\.completions",stream="false"\} \d+/);
    expect(text).toMatch(/tollgate_upstream_duration_seconds_bucket\{le="[\d.]+",provider="openai",model="gpt-4o-mini"\} \d+/);
    expect(text).toMatch(/tollgate_tokens_total\{model="gpt-4o-mini",kind="completion"\} \d+/);
    expect(text).toMatch(/tollgate_credits_charged_microcredits_total\{model="gpt-4o-mini"\} \d+/);
    expect(text).toMatch(/tollgate_upstream_attempts_total\{provider="openai",status="200"\} \d+/);
    expect(text).toMatch(/tollgate_process_resident_memory_bytes \d+/);
  });
});
