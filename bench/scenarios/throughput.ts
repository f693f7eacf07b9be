import type { BenchEnv } from '../setup.js';
import { fixedRate } from '../latency.js';
import { runLoad } from '../load.js';
import { cpuMs } from '../procs.js';

const chatBody = (stream: boolean, words = 12) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Benchmark request [[reply:${words}]]` }], max_tokens: 200, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });

/** Non-streaming: the ceiling direct to the mock vs through the gateway, CPU per request, latency added at 1,000 rps. */
export async function nonStreaming(env: BenchEnv, durationS: number) {
  const body = chatBody(false).replace('gpt-4o-mini', 'bench-model');
  const direct = await runLoad({ url: `${env.mockUrl}/openai/v1/chat/completions`, body: chatBody(false), headers: { authorization: 'Bearer bench-upstream-key' }, connections: 64, durationS });
  const cpu0 = cpuMs(env.gateway.pid);
  const gateway = await runLoad({ url: `${env.gatewayUrl}/v1/chat/completions`, body, headers: { authorization: `Bearer ${env.key}` }, connections: 64, durationS });
  const cpuPerRequestMs = (cpuMs(env.gateway.pid) - cpu0) / Math.max(1, gateway.requests);
  if (process.env.BENCH_QUICK) return { direct, gateway, cpuPerRequestMs };
  const directAt1k = await fixedRate({ origin: env.mockUrl, path: '/openai/v1/chat/completions', body: chatBody(false), headers: { authorization: 'Bearer bench-upstream-key' }, rate: 1000, durationS });
  const gatewayAt1k = await fixedRate({ origin: env.gatewayUrl, path: '/v1/chat/completions', body, headers: { authorization: `Bearer ${env.key}` }, rate: 1000, durationS });
  return {
    direct,
    gateway,
    cpuPerRequestMs: Math.round(cpuPerRequestMs * 1000) / 1000,
    at1000rps: {
      direct: directAt1k,
      gateway: gatewayAt1k,
      addedP50Ms: Math.round((gatewayAt1k.p50 - directAt1k.p50) * 1000) / 1000,
      addedP99Ms: Math.round((gatewayAt1k.p99 - directAt1k.p99) * 1000) / 1000,
    },
  };
}

/** Streaming: throughput, and the time added per chunk (50-chunk streams at 200 rps). */
export async function streaming(env: BenchEnv, durationS: number) {
  const words = 50;
  const direct = await runLoad({ url: `${env.mockUrl}/openai/v1/chat/completions`, body: chatBody(true, words), headers: { authorization: 'Bearer bench-upstream-key' }, connections: 64, durationS });
  const gateway = await runLoad({ url: `${env.gatewayUrl}/v1/chat/completions`, body: chatBody(true, words).replace('gpt-4o-mini', 'bench-model'), headers: { authorization: `Bearer ${env.key}` }, connections: 64, durationS });
  const d = await fixedRate({ origin: env.mockUrl, path: '/openai/v1/chat/completions', body: chatBody(true, words), headers: { authorization: 'Bearer bench-upstream-key' }, rate: 200, durationS });
  const g = await fixedRate({ origin: env.gatewayUrl, path: '/v1/chat/completions', body: chatBody(true, words).replace('gpt-4o-mini', 'bench-model'), headers: { authorization: `Bearer ${env.key}` }, rate: 200, durationS });
  return {
    chunksPerStream: words + 3,
    direct,
    gateway,
    at200rps: { direct: d, gateway: g, addedP50Ms: Math.round((g.p50 - d.p50) * 1000) / 1000, perChunkOverheadUs: Math.round(((g.p50 - d.p50) / (words + 3)) * 1000 * 10) / 10 },
  };
}
