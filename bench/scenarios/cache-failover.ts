import { fixedRate } from '../latency.js';
import { runLoad } from '../load.js';
import { ADMIN_TOKEN, type BenchEnv } from '../setup.js';

async function admin(env: BenchEnv, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${env.gatewayUrl}/admin/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${await res.text()}`);
}

const req = (model: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Benchmark request [[reply:12]]' }], ...extra });

/** Cache hits: the same deterministic request over and over (after one miss fills the entry). */
export async function cacheHits(env: BenchEnv, durationS: number) {
  const body = req('bench-model', { temperature: 0 });
  const headers = { authorization: `Bearer ${env.key}` };
  await fetch(`${env.gatewayUrl}/v1/chat/completions`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  const load = await runLoad({ url: `${env.gatewayUrl}/v1/chat/completions`, body, headers, connections: 64, durationS });
  const at1000 = await fixedRate({ origin: env.gatewayUrl, path: '/v1/chat/completions', body, headers, rate: 1000, durationS });
  return { load, at1000rps: at1000 };
}

/**
 * Fail-over: a model whose provider always answers 503, with a healthy fallback. First the
 * breaker is closed (each request tries the broken provider three times, then the fallback);
 * once it is open, requests go straight to the fallback.
 */
export async function failover(env: BenchEnv, durationS: number) {
  await admin(env, '/providers', { id: 'broken', kind: 'openai', baseUrl: `${env.mockUrl}/openai/v1`, keys: [{ secret: 'broken-key' }] });
  await admin(env, '/models', { alias: 'bench-failover', providerId: 'broken', upstreamModel: 'broken-upstream', contextWindow: 128000, maxOutputTokens: 4096, fallbacks: ['bench-model'], price: { inputPerMtok: '0.15', outputPerMtok: '0.6' } });
  await fetch(`${env.mockUrl}/_mock/faults`, { method: 'POST', body: JSON.stringify({ model: 'broken-upstream', times: 0, fault: { type: 'status', status: 503 } }) });
  const headers = { authorization: `Bearer ${env.key}` };
  // The breaker opens within the first few requests; this measures the steady state after.
  const load = await runLoad({ url: `${env.gatewayUrl}/v1/chat/completions`, body: req('bench-failover'), headers, connections: 64, durationS });
  const at1000 = await fixedRate({ origin: env.gatewayUrl, path: '/v1/chat/completions', body: req('bench-failover'), headers, rate: 1000, durationS });
  await fetch(`${env.mockUrl}/_mock/faults`, { method: 'DELETE' });
  return { breakerOpen: { load, at1000rps: at1000 } };
}
