import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad, type LoadResult } from '../load.js';
import { cpuMs, waitForHttp, type Proc } from '../procs.js';
import { spawnBenchGateway, type BenchEnv } from '../setup.js';

const TRACED_PORT = 18_082;

/** An OTLP/HTTP collector that accepts every export and keeps only counts. */
async function startOtlpSink() {
  const seen = { exports: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (seen.bytes += c.length));
    req.on('end', () => {
      seen.exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** One bounded load at 64 connections, after a short warm-up, with the gateway's CPU per request. */
async function measure(url: string, proc: Proc, key: string, durationS: number): Promise<{ load: LoadResult; cpuPerRequestMs: number; requests: number }> {
  const body = JSON.stringify({ model: 'bench-model', max_tokens: 200, messages: [{ role: 'user', content: 'Benchmark request [[reply:12]]' }] });
  const headers = { authorization: `Bearer ${key}` };
  const warm = await runLoad({ url: `${url}/v1/chat/completions`, body, headers, connections: 64, durationS: Math.min(2, durationS) });
  const cpu0 = cpuMs(proc.pid);
  const load = await runLoad({ url: `${url}/v1/chat/completions`, body, headers, connections: 64, durationS });
  return { load, cpuPerRequestMs: round3((cpuMs(proc.pid) - cpu0) / Math.max(1, load.requests)), requests: warm.requests + load.requests };
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** The mean of two runs of the same gateway. */
function summary(a: Measured, b: Measured) {
  const mean = (f: (m: Measured) => number) => round3((f(a) + f(b)) / 2);
  return {
    rps: Math.round(mean((m) => m.load.rps)),
    p50: mean((m) => m.load.latency.p50),
    p99: mean((m) => m.load.latency.p99),
    errors: a.load.errors + a.load.non2xx + b.load.errors + b.load.non2xx,
    cpuPerRequestMs: mean((m) => m.cpuPerRequestMs),
  };
}

/**
 * What tracing costs: the full non-streaming pipeline at 64 connections on the run's gateway
 * (tracing off) and on a second gateway that differs only in the OTEL_* variables (tracing on,
 * every request sampled, spans exported as OTLP/protobuf to a local sink that discards them),
 * taking turns on the same core (each twice). The batch processor's queue is raised (OTEL_BSP_MAX_QUEUE_SIZE)
 * so that no span is dropped if the exporter falls behind at full load: the whole cost is counted.
 */
export async function tracingCost(env: BenchEnv, durationS: number) {
  const sink = await startOtlpSink();
  const traced = spawnBenchGateway({
    dbUrl: env.dbUrl,
    redisUrl: env.redisUrl,
    port: TRACED_PORT,
    redisPrefix: `bench:${Date.now()}:traced:`,
    extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_BSP_MAX_QUEUE_SIZE: '65536' },
    name: 'gateway-traced',
  });
  try {
    const tracedUrl = `http://127.0.0.1:${TRACED_PORT}`;
    await waitForHttp(`${tracedUrl}/health`);
    // Off, on, on, off: a machine that gets busier or quieter during the run shifts both alike.
    const off1 = await measure(env.gatewayUrl, env.gateway, env.key, durationS);
    const on1 = await measure(tracedUrl, traced, env.key, durationS);
    const on2 = await measure(tracedUrl, traced, env.key, durationS);
    const off2 = await measure(env.gatewayUrl, env.gateway, env.key, durationS);
    const off = summary(off1, off2);
    const on = summary(on1, on2);
    return {
      off,
      on,
      rpsRatio: round3(on.rps / Math.max(1, off.rps)),
      addedCpuPerRequestMs: round3(on.cpuPerRequestMs - off.cpuPerRequestMs),
      exported: { posts: sink.seen.exports, bytesPerRequest: Math.round(sink.seen.bytes / Math.max(1, on1.requests + on2.requests)) },
    };
  } finally {
    await traced.stop();
    await sink.close();
  }
}
