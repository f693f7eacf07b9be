import type { BenchEnv } from '../setup.js';
import { fixedRate } from '../latency.js';
import { runLoad } from '../load.js';
import { cpuMs, measureCpu } from '../procs.js';
import { LONE_RATE, LONE_SECONDS, PASSTHROUGH_BODY, startPassthrough } from './baseline.js';

const chatBody = (stream: boolean, words = 12) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Benchmark request [[reply:${words}]]` }], max_tokens: 200, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });

/** Non-streaming: the ceiling direct to the mock vs through the gateway, CPU per request, latency added at 1,000 rps. */
export async function nonStreaming(env: BenchEnv, durationS: number) {
  const body = chatBody(false).replace('gpt-4o-mini', 'bench-model');
  const direct = await runLoad({ url: `${env.mockUrl}/openai/v1/chat/completions`, body: chatBody(false), headers: { authorization: 'Bearer bench-upstream-key' }, connections: 64, durationS });
  // Warm-up: a freshly started gateway spends its first seconds compiling its pipeline (about three
  // times the CPU per request of a warm one); the pass-through, with far less code, gets 2 s.
  await runLoad({ url: `${env.gatewayUrl}/v1/chat/completions`, body, headers: { authorization: `Bearer ${env.key}` }, connections: 64, durationS: GATEWAY_WARM_UP_S });
  const pt = await startPassthrough(env, 18_082);
  try {
    await runLoad({ url: `${pt.origin}/`, body: PASSTHROUGH_BODY, headers: {}, connections: 64, durationS: 2 });
    // The sustained runs back to back, the pass-through's first (once the gateway is idle again).
    await quiet(env.gateway.pid);
    const { result: ptRun, cpuPerRequestMs: ptCpu } = await loadWithCpu(`${pt.origin}/`, PASSTHROUGH_BODY, {}, pt.proc.pid, durationS);
    const passthrough = { rps: ptRun.rps, cpuPerRequestMs: ptCpu };
    const { result: gateway, cpuPerRequestMs } = await loadWithCpu(`${env.gatewayUrl}/v1/chat/completions`, body, { authorization: `Bearer ${env.key}` }, env.gateway.pid, durationS);
    if (process.env.BENCH_QUICK) return { direct, gateway, cpuPerRequestMs, passthrough };
    // A lone request: what the full pipeline adds when nothing else is running (and, in the same
    // minute, what the bare pass-through adds).
    const loneDirect = await fixedRate({ origin: env.mockUrl, path: '/openai/v1/chat/completions', body: chatBody(false), headers: { authorization: 'Bearer bench-upstream-key' }, rate: LONE_RATE, durationS: LONE_SECONDS });
    const lonePassthrough = await fixedRate({ origin: pt.origin, path: '/', body: PASSTHROUGH_BODY, headers: {}, rate: LONE_RATE, durationS: LONE_SECONDS });
    const loneGateway = await fixedRate({ origin: env.gatewayUrl, path: '/v1/chat/completions', body, headers: { authorization: `Bearer ${env.key}` }, rate: LONE_RATE, durationS: LONE_SECONDS });
    const lone = {
      direct: loneDirect,
      gateway: loneGateway,
      addedP50Ms: round3(loneGateway.p50 - loneDirect.p50),
      passthrough: lonePassthrough,
      passthroughAddedP50Ms: round3(lonePassthrough.p50 - loneDirect.p50),
    };
    const interleaved = await interleavedWithPassthrough(env, pt, body);
    // Open-loop latency at fixed rates up to the target, with where the machine's CPU went: on two
    // cores the gateway, Postgres, Redis, the mock and the load generator all compete.
    // The bare pass-through runs at each rate too, between the two: what one proxy hop adds here,
    // at that rate, in the same minute (its own p99 shows how much of the gateway's is the machine).
    const sweep = [];
    for (const rate of [250, 500, 1000]) {
      const direct = await fixedRate({ origin: env.mockUrl, path: '/openai/v1/chat/completions', body: chatBody(false), headers: { authorization: 'Bearer bench-upstream-key' }, rate, durationS });
      const passthrough = await fixedRate({ origin: pt.origin, path: '/', body: PASSTHROUGH_BODY, headers: {}, rate, durationS });
      const { result: gw, cpu } = await measureCpu(env, () => fixedRate({ origin: env.gatewayUrl, path: '/v1/chat/completions', body, headers: { authorization: `Bearer ${env.key}` }, rate, durationS }));
      const n = Math.max(1, gw.started);
      sweep.push({
        rate,
        direct,
        gateway: gw,
        addedP50Ms: Math.round((gw.p50 - direct.p50) * 1000) / 1000,
        addedP99Ms: Math.round((gw.p99 - direct.p99) * 1000) / 1000,
        passthrough,
        passthroughAddedP50Ms: round3(passthrough.p50 - direct.p50),
        passthroughAddedP99Ms: round3(passthrough.p99 - direct.p99),
        machineBusyPercent: cpu.machineBusyPercent,
        perRequestCpuMs: { gateway: round3(cpu.gatewayMs / n), postgres: round3(cpu.postgresMs / n), redis: round3(cpu.redisMs / n) },
      });
    }
    return {
      direct,
      gateway,
      cpuPerRequestMs,
      passthrough,
      lone,
      interleaved,
      sweep,
      at1000rps: sweep.at(-1)!,
    };
  } finally {
    await pt.proc.stop();
  }
}

const GATEWAY_WARM_UP_S = 6;
const INTERLEAVED_ROUNDS = 5;
const SLICE_S = 5;
const RAMP_S = 2;

/**
 * The gateway against the bare pass-through in alternating 5-s slices at 64 connections (the order
 * flips each round), so both see the same minutes of a machine whose speed drifts: each round gives
 * a share of requests/s and a ratio of CPU per request, and the targets read their medians.
 */
async function interleavedWithPassthrough(env: BenchEnv, pt: { proc: { pid: number }; origin: string }, body: string) {
  const slice = async (url: string, b: string, headers: Record<string, string>, pid: number) => {
    // Unmeasured ramp: a gateway resuming after seconds idle costs more per request for a moment,
    // which a sustained load pays once; a slice must not count it every time.
    await runLoad({ url, body: b, headers, connections: 64, durationS: RAMP_S });
    const { result, cpuPerRequestMs } = await loadWithCpu(url, b, headers, pid, SLICE_S);
    return { rps: result.rps, cpuPerRequestMs };
  };
  const passthrough = async () => {
    // The gateway's own after-work (its settlers writing the slice's settlements) must not run on
    // the pass-through's core during the pass-through's slice.
    await quiet(env.gateway.pid);
    return slice(`${pt.origin}/`, PASSTHROUGH_BODY, {}, pt.proc.pid);
  };
  const gateway = () => slice(`${env.gatewayUrl}/v1/chat/completions`, body, { authorization: `Bearer ${env.key}` }, env.gateway.pid);
  const rounds = [];
  for (let i = 0; i < INTERLEAVED_ROUNDS; i++) {
    let p, g;
    if (i % 2 === 0) {
      p = await passthrough();
      g = await gateway();
    } else {
      g = await gateway();
      p = await passthrough();
    }
    rounds.push({ passthrough: p, gateway: g, share: round3(g.rps / Math.max(1, p.rps)), cpuRatio: round3(g.cpuPerRequestMs / Math.max(0.001, p.cpuPerRequestMs)) });
  }
  return { sliceS: SLICE_S, rounds, medianShare: median(rounds.map((r) => r.share)), medianCpuRatio: median(rounds.map((r) => r.cpuRatio)) };
}

/** A closed-loop load at 64 connections, with the CPU per request of process `pid` meanwhile. */
async function loadWithCpu(url: string, body: string, headers: Record<string, string>, pid: number, durationS: number) {
  const cpu0 = cpuMs(pid);
  const result = await runLoad({ url, body, headers, connections: 64, durationS });
  return { result, cpuPerRequestMs: round3((cpuMs(pid) - cpu0) / Math.max(1, result.requests)) };
}

/** Waits (at most 10 s) until `pid` uses under 4% of a core over a quarter of a second. */
async function quiet(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let before = cpuMs(pid); Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 250));
    const now = cpuMs(pid);
    if (now - before < 10) return;
    before = now;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Streaming: throughput with 50-word streams; then the cost of one more chunk, from the
 * difference between short (10-word) and long (200-word) streams at a fixed 100 streams/s —
 * added latency and gateway CPU per stream — so the per-request fixed costs (auth, credits)
 * cancel out.
 */
export async function streaming(env: BenchEnv, durationS: number) {
  const words = 50;
  const gatewayBody = (w: number) => chatBody(true, w).replace('gpt-4o-mini', 'bench-model');
  const direct = await runLoad({ url: `${env.mockUrl}/openai/v1/chat/completions`, body: chatBody(true, words), headers: { authorization: 'Bearer bench-upstream-key' }, connections: 64, durationS });
  const gateway = await runLoad({ url: `${env.gatewayUrl}/v1/chat/completions`, body: gatewayBody(words), headers: { authorization: `Bearer ${env.key}` }, connections: 64, durationS });
  const rate = 100;
  const at = async (w: number) => {
    const d = await fixedRate({ origin: env.mockUrl, path: '/openai/v1/chat/completions', body: chatBody(true, w), headers: { authorization: 'Bearer bench-upstream-key' }, rate, durationS });
    const { result: g, cpu } = await measureCpu(env, () => fixedRate({ origin: env.gatewayUrl, path: '/v1/chat/completions', body: gatewayBody(w), headers: { authorization: `Bearer ${env.key}` }, rate, durationS }));
    return { chunks: w + 3, direct: d, gateway: g, addedP50Ms: round3(g.p50 - d.p50), gatewayCpuPerStreamMs: round3(cpu.gatewayMs / Math.max(1, g.started)) };
  };
  const short = await at(10);
  const long = await at(200);
  const extra = long.chunks - short.chunks;
  return {
    chunksPerStream: words + 3,
    direct,
    gateway,
    rate,
    short,
    long,
    perChunk: {
      addedLatencyUs: Math.round(((long.addedP50Ms - short.addedP50Ms) / extra) * 10000) / 10,
      gatewayCpuUs: Math.round(((long.gatewayCpuPerStreamMs - short.gatewayCpuPerStreamMs) / extra) * 10000) / 10,
    },
  };
}
