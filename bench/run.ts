import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { canPin } from './procs.js';
import { writeReport } from './report.js';
import { passthroughBaseline } from './scenarios/baseline.js';
import { admissionBench } from './scenarios/admission.js';
import { cacheHits, failover } from './scenarios/cache-failover.js';
import { creditsBench } from './scenarios/credits.js';
import { concurrentStreams } from './scenarios/streams-memory.js';
import { nonStreaming, streaming } from './scenarios/throughput.js';
import { tracingCost } from './scenarios/tracing.js';
import { gatewayNodeArgs, OUT, startBenchEnv } from './setup.js';

/**
 * `npm run bench` — starts real Postgres/Redis (if needed), the mock upstream and the built
 * gateway, then runs each scenario for BENCH_SECONDS (default 10) and writes BENCHMARKS.md.
 * Every load is bounded in time (and in count, for the fixed-rate and stream runs).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
/** BENCH_ONLY=nonStreaming,credits runs a subset (for profiling one thing). */
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
// The load generators run in this process: keep them on core 1 with the mock, off the gateway's core.
if (canPin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
const env = await startBenchEnv();
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, pinned: canPin, gatewayNodeArgs: gatewayNodeArgs() },
  seconds,
};
try {
  const step = async (name: string, fn: () => Promise<unknown>) => {
    if (only && !only.has(name)) return;
    process.stderr.write(`bench: ${name}…\n`);
    results[name] = await fn();
    writeFileSync(`${OUT}/latest.json`, JSON.stringify(results, null, 2));
  };
  await step('passthrough', () => passthroughBaseline(env, seconds));
  await step('nonStreaming', () => nonStreaming(env, seconds));
  await step('streaming', () => streaming(env, seconds));
  await step('concurrentStreams', () => concurrentStreams(env, 1000));
  await step('cache', () => cacheHits(env, seconds));
  await step('failover', () => failover(env, seconds));
  await step('admission', () => admissionBench(env, seconds));
  await step('tracing', () => tracingCost(env, seconds));
  await step('credits', () => creditsBench(env.dbUrl, seconds));
} finally {
  await env.stop();
}
// BENCHMARKS.md is the full run's report: a subset or a quick run only leaves its numbers in latest.json.
if (only || process.env.BENCH_QUICK) {
  process.stderr.write(`bench: partial run (BENCH_ONLY / BENCH_QUICK); results in ${OUT}/latest.json, BENCHMARKS.md left as it was\n`);
} else {
  writeReport(results);
  process.stderr.write(`bench: results in ${OUT}/latest.json and BENCHMARKS.md\n`);
}
