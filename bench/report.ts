import { writeFileSync } from 'node:fs';
import { projectPath } from '../src/paths.js';

type R = Record<string, any>;

const mark = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The targets measured against the bare pass-through of the same run (ratios hold on a noisy machine). */
function passthroughTargets(ns: R, calibration: R): string[] {
  // The sustained runs: the pass-through's 10 s right before the gateway's (older results: the
  // calibration run at the start of the bench).
  const pt = ns.passthrough ?? calibration;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const share = ns.gateway.rps / Math.max(1, pt.rps);
  const cpu = ns.cpuPerRequestMs / Math.max(0.001, pt.cpuPerRequestMs);
  const sustained = `${ns.gateway.rps.toLocaleString('en')} of ${pt.rps.toLocaleString('en')} requests/s = ${pct(share)}`;
  const sustainedCpu = `${ns.cpuPerRequestMs} ms vs ${pt.cpuPerRequestMs} ms = ${cpu.toFixed(2)}×`;
  const il = ns.interleaved;
  // A target is met only if the sustained runs and the median of the interleaved rounds both meet it.
  const rows = il
    ? [
        `| Full pipeline ≥ 55% of the pass-through's requests/s (64 connections, one core) | sustained, back to back: ${sustained}; interleaved rounds: median ${pct(il.medianShare)} | ${mark(share >= 0.55 && il.medianShare >= 0.55)} |`,
        `| Gateway CPU per request within 2× the pass-through's | sustained: ${sustainedCpu}; interleaved rounds: median ${il.medianCpuRatio.toFixed(2)}× | ${mark(cpu <= 2 && il.medianCpuRatio <= 2)} |`,
      ]
    : [
        `| Full pipeline ≥ 55% of the pass-through's requests/s (64 connections, one core) | ${sustained} | ${mark(share >= 0.55)} |`,
        `| Gateway CPU per request within 2× the pass-through's | ${sustainedCpu} | ${mark(cpu <= 2)} |`,
      ];
  if (ns.lone && (ns.lone.passthroughAddedP50Ms !== undefined || pt.lone)) {
    const ptAdds = ns.lone.passthroughAddedP50Ms ?? Math.round((calibration.lone.p50 - ns.lone.direct.p50) * 1000) / 1000;
    rows.push(`| A lone request adds ≤ 0.5 ms p50 (one at a time; the pass-through adds ${ptAdds} ms) | ${ns.lone.addedP50Ms} ms | ${mark(ns.lone.addedP50Ms <= 0.5)} |`);
  }
  return rows;
}

/** The rounds of alternating slices, gateway against pass-through (bench/scenarios/throughput.ts). */
function interleavedTable(il: R): string[] {
  return [
    `Against the bare pass-through in the same minutes: ${il.rounds.length} rounds, each a ${il.sliceS}-s slice of each at 64 connections after a 2-s unmeasured ramp (the order alternating; the pass-through's slice starts once the gateway is idle again), so a machine whose speed drifts from minute to minute moves both alike. A gateway that has just been idle for seconds costs more per request than one under sustained load, so these rounds may read higher than the sustained run; a target counts as met only when both meet it.`,
    '',
    '| round | pass-through requests/s | gateway requests/s | share | CPU per request: pass-through / gateway | ratio |',
    '| --- | --- | --- | --- | --- | --- |',
    ...il.rounds.map((x: R, i: number) => `| ${i + 1} | ${x.passthrough.rps} | ${x.gateway.rps} | ${Math.round(x.share * 100)}% | ${x.passthrough.cpuPerRequestMs} / ${x.gateway.cpuPerRequestMs} ms | ${x.cpuRatio.toFixed(2)}× |`),
    `| median | | | **${Math.round(il.medianShare * 100)}%** | | **${il.medianCpuRatio.toFixed(2)}×** |`,
    '',
  ];
}

/** " (the bare pass-through adds X ms)" at a rate of the sweep, when it was measured. */
function passthroughAdds(at: R, which: 'P50' | 'P99'): string {
  const v = at[`passthroughAdded${which}Ms`];
  return v === undefined ? '' : ` (the bare pass-through adds ${v} ms)`;
}

/** BENCHMARKS.md from a results object (bench/results/latest.json). Sections appear for the scenarios that ran. */
export function writeReport(r: R): void {
  const ns = r.nonStreaming;
  const st = r.streaming;
  const cs = r.concurrentStreams;
  const cr = r.credits;
  const lines: string[] = [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (bench/run.ts; raw numbers in bench/results/latest.json).',
    `Run ${r.date} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GiB, Node ${r.machine.node}; ${r.seconds} s per measurement.`,
    r.machine.pinned
      ? 'The gateway runs pinned to core 0 (`taskset`); the load generators (this process) and the mock upstream share core 1; Postgres and Redis are not pinned. Everything shares the one machine, so Postgres and Redis take CPU from both.'
      : 'taskset was not available: processes were not pinned to cores.',
    r.machine.gatewayNodeArgs?.length
      ? `Each gateway runs as \`npm start\` runs it, \`node ${r.machine.gatewayNodeArgs.join(' ')}\` (README, "Memory and the young generation"); the pass-through with Node's defaults.`
      : 'Each gateway runs with Node\'s default flags.',
    'Full pipeline on every request: API-key auth, catalogue lookup, requests-per-minute and tokens-per-minute limits of the user plan in Redis (set too high to refuse; the token limit corrected with real usage after the answer), the credit hold from the escrow lease, the settlement appended to the Redis settlement stream (written to Postgres in batches by the settlers), request row, metrics, one JSON log line.',
    '',
  ];
  if (ns) {
    lines.push(
      '## Targets',
      '',
      '| Target | Measured | |',
      '| --- | --- | --- |',
      `| ≥ 5,000 requests/s non-streaming through the full pipeline (one core) | ${ns.gateway.rps.toLocaleString('en')} requests/s | ${mark(ns.gateway.rps >= 5000)} |`,
      ...(r.passthrough ? passthroughTargets(ns, r.passthrough) : []),
      `| Added latency p50 ≤ 1 ms at 1,000 requests/s${passthroughAdds(ns.at1000rps, 'P50')} | ${ns.at1000rps.addedP50Ms} ms | ${mark(ns.at1000rps.addedP50Ms <= 1)} |`,
      `| Added latency p99 ≤ 5 ms at 1,000 requests/s${passthroughAdds(ns.at1000rps, 'P99')} | ${ns.at1000rps.addedP99Ms} ms | ${mark(ns.at1000rps.addedP99Ms <= 5)} |`,
      `| Postgres CPU per request ≤ 0.1 ms at 1,000 requests/s | ${ns.at1000rps.perRequestCpuMs.postgres} ms | ${mark(ns.at1000rps.perRequestCpuMs.postgres <= 0.1)} |`,
      ...(cs ? [`| 1,000 concurrent streams in ≤ 300 MB RSS | ${cs.rssPeakMb} MB (${cs.openAtPeak} streams open) | ${mark(cs.rssPeakMb <= 300 && cs.openAtPeak >= 1000)} |`] : []),
      ...(st ? [`| Per-chunk streaming overhead negligible (< 50 µs a chunk) | ${usPerChunk(st.perChunk.addedLatencyUs)} latency, ${st.perChunk.gatewayCpuUs} µs gateway CPU per chunk | ${mark(st.perChunk.addedLatencyUs < 50)} |`] : []),
      '',
      ...whereTheTimeGoes(r),
      '## Non-streaming',
      '',
      '| | requests/s | p50 | p90 | p99 | errors |',
      '| --- | --- | --- | --- | --- | --- |',
      `| Direct to the mock (ceiling) | ${ns.direct.rps} | ${ns.direct.latency.p50} ms | ${ns.direct.latency.p90} ms | ${ns.direct.latency.p99} ms | ${ns.direct.errors + ns.direct.non2xx} |`,
      `| Through the gateway | ${ns.gateway.rps} | ${ns.gateway.latency.p50} ms | ${ns.gateway.latency.p90} ms | ${ns.gateway.latency.p99} ms | ${ns.gateway.errors + ns.gateway.non2xx} |`,
      '',
      `Gateway CPU per request (user + system, at full load): ${ns.cpuPerRequestMs} ms${ns.passthrough ? `; the pass-through's, in the ${r.seconds} s right before: ${ns.passthrough.cpuPerRequestMs} ms at ${ns.passthrough.rps} requests/s` : ''}. Both are measured warm: the gateway after 6 s of the same load, the pass-through after 2 s.`,
      '',
      ...(ns.interleaved ? interleavedTable(ns.interleaved) : []),
      'Latency at fixed rates (open loop, microsecond clock), and where the CPU went (machine busy: both cores; Postgres: the benchmark database\'s backends and the server\'s background processes; Redis: the benchmark\'s own server, append-only file with fsync every second, as production runs it):',
      '',
      '| rate | direct p50 / p99 | gateway p50 / p99 | **added p50 / p99** | the pass-through adds p50 / p99 | failed | machine busy | CPU per request: gateway / Postgres / Redis |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...ns.sweep.map(
        (r: R) =>
          `| ${r.rate}/s | ${r.direct.p50} / ${r.direct.p99} ms | ${r.gateway.p50} / ${r.gateway.p99} ms | **${r.addedP50Ms} / ${r.addedP99Ms} ms** | ${r.passthroughAddedP50Ms ?? '–'} / ${r.passthroughAddedP99Ms ?? '–'} ms | ${r.gateway.failed} | ${r.machineBusyPercent}% | ${r.perRequestCpuMs.gateway} / ${r.perRequestCpuMs.postgres} / ${r.perRequestCpuMs.redis} ms |`,
      ),
      '',
      'The pass-through column is bench/passthrough.ts (see the calibration below) at the same rate, measured between the direct and the gateway runs: what one bare proxy hop adds on this machine in that minute.',
      '',
    );
  }
  if (st) {
    lines.push(
      '## Streaming',
      '',
      `Streams of ${st.chunksPerStream} chunks.`,
      '',
      '| | streams/s | p50 (whole stream) | p99 |',
      '| --- | --- | --- | --- |',
      `| Direct | ${st.direct.rps} | ${st.direct.latency.p50} ms | ${st.direct.latency.p99} ms |`,
      `| Gateway | ${st.gateway.rps} | ${st.gateway.latency.p50} ms | ${st.gateway.latency.p99} ms |`,
      '',
      `At a fixed ${st.rate} streams/s (p50 of the whole stream, microsecond clock):`,
      '',
      '| chunks per stream | direct | gateway (first byte) | added | gateway CPU per stream |',
      '| --- | --- | --- | --- | --- |',
      ...[st.short, st.long].map((x: R) => `| ${x.chunks} | ${x.direct.p50} ms | ${x.gateway.p50} ms (${x.gateway.ttfbP50} ms) | ${x.addedP50Ms} ms | ${x.gatewayCpuPerStreamMs} ms |`),
      '',
      `One more chunk adds ${usPerChunk(st.perChunk.addedLatencyUs)} to a stream and costs the gateway ${st.perChunk.gatewayCpuUs} µs of CPU (the difference between the two rows, per extra chunk); the rest of the added time is per request (auth, limits, the credit hold and settlement).`,
      '',
    );
  }
  if (cs) lines.push('## 1,000 concurrent streams', '', `Gateway RSS ${cs.rssBeforeMb} MB before, ${cs.rssPeakMb} MB at peak with ${cs.openAtPeak} of ${cs.streams} streams open.`, '');
  if (cr) {
    const row = (name: string, x: R) =>
      `| ${name} | ${x.requestsPerSecond} | ${x.holdMs.p50} / ${x.holdMs.p99} ms | ${x.settleMs.p50} / ${x.settleMs.p99} ms | ${x.holdPlusSettleMs.p50} / ${x.holdPlusSettleMs.p99} ms |`;
    lines.push(
      '## Credits: hold + settle',
      '',
      "Holds from the instance's escrow lease (in memory; batched lease refills), settlements straight through the batched Postgres writer (settle_leased with the request row, no Redis stream), 64 concurrent callers.",
      '',
      '| | requests/s | hold p50 / p99 | settle p50 / p99 | both p50 / p99 |',
      '| --- | --- | --- | --- | --- |',
      row('One hot account', cr.hotAccount),
      row('1,000 accounts', cr.thousandAccounts),
      '',
    );
  }
  const pt = r.passthrough;
  if (pt) {
    lines.push(
      '## Calibration: a bare pass-through',
      '',
      `bench/passthrough.ts on the gateway's core — read the body, parse it, forward it with undici, parse the answer, re-serialise it — reaches ${pt.rps} requests/s at ${pt.cpuPerRequestMs} ms CPU per request (p50 ${pt.latency.p50} ms at 64 connections). ` +
        'That is this harness\'s ceiling for one proxy hop: the mock upstream and the load generator share the other core.',
      '',
    );
  }
  const ca = r.cache;
  if (ca) {
    lines.push(
      '## Cache hits',
      '',
      `The same deterministic request, answered from the Redis cache: ${ca.load.rps} requests/s at 64 connections (p50 ${ca.load.latency.p50} ms, p99 ${ca.load.latency.p99} ms); ` +
        `at a fixed 1,000 requests/s: p50 ${ca.at1000rps.p50} ms, p99 ${ca.at1000rps.p99} ms (${ca.at1000rps.failed} failed).`,
      '',
    );
  }
  const fo = r.failover?.breakerOpen;
  if (fo) {
    lines.push(
      '## Fail-over',
      '',
      `A model whose provider always answers 503, with a healthy fallback: once its breaker is open every request goes straight to the fallback — ${fo.load.rps} requests/s at 64 connections (p50 ${fo.load.latency.p50} ms); ` +
        `at a fixed 1,000 requests/s: p50 ${fo.at1000rps.p50} ms, p99 ${fo.at1000rps.p99} ms (${fo.at1000rps.failed} failed).`,
      '',
    );
  }
  const tr = r.tracing;
  if (tr) {
    const row = (name: string, x: R) => `| ${name} | ${x.rps} | ${x.p50} / ${x.p99} ms | ${x.cpuPerRequestMs} ms | ${x.errors} |`;
    lines.push(
      '## Tracing (OpenTelemetry)',
      '',
      'The full non-streaming pipeline at 64 connections, on the gateway of this run (tracing off: the no-op tracer, no OpenTelemetry SDK loaded) and on a second gateway that differs only in `OTEL_EXPORTER_OTLP_ENDPOINT` (every request sampled; its spans exported as OTLP/protobuf to a local sink that discards them).',
      '',
      '| | requests/s | p50 / p99 | gateway CPU per request | errors |',
      '| --- | --- | --- | --- | --- |',
      row('Tracing off', tr.off),
      row('Tracing on', tr.on),
      '',
      `With tracing on the gateway serves ${Math.round(tr.rpsRatio * 100)}% of the requests/s and uses ${tr.addedCpuPerRequestMs} ms more CPU per request; it exported ${tr.exported.bytesPerRequest} bytes per request in ${tr.exported.posts} posts.`,
      '',
    );
  }
  const ad = r.admission;
  if (ad) {
    lines.push(
      '## Auth, config and limits: what they add per request',
      '',
      'Measured in-process with a microsecond clock against the real Redis (steady state: key and catalogue in memory; requests-per-minute and tokens-per-minute limits taken on Redis in one round trip).',
      '',
      '| Step | p50 | p99 |',
      '| --- | --- | --- |',
      `| Parse and validate the body | ${ad.parse.p50Us} µs | ${ad.parse.p99Us} µs |`,
      `| API key → principal | ${ad.auth.p50Us} µs | ${ad.auth.p99Us} µs |`,
      `| Model → deployments | ${ad.route.p50Us} µs | ${ad.route.p99Us} µs |`,
      `| Limits (Redis) | ${ad.limits.p50Us} µs | ${ad.limits.p99Us} µs |`,
      `| **All four** | **${ad.total.p50Us} µs** | **${ad.total.p99Us} µs** |`,
      '',
    );
  }
  writeFileSync(projectPath('BENCHMARKS.md'), lines.join('\n'));
}

/** A reading of the numbers: what bounds throughput and latency on this machine. */
function whereTheTimeGoes(r: R): string[] {
  const ns = r.nonStreaming;
  const pt = ns.passthrough ?? r.passthrough;
  const at1k = ns.sweep?.at(-1);
  if (!at1k) return [];
  const ceiling = Math.round(1000 / ns.cpuPerRequestMs);
  return [
    'Where the time goes: at full load the gateway itself uses ' +
      `${ns.cpuPerRequestMs} ms of CPU per request, so its one core tops out near ${ceiling.toLocaleString('en')} requests/s` +
      (pt ? ` (a bare pass-through uses ${pt.cpuPerRequestMs} ms)` : '') +
      '. A request makes no Postgres round trip of its own and two Redis round trips: its limits are taken while its upstream call ' +
      'runs (it goes ahead once its windows were seen with ample room; the take still decides before anything is answered) ' +
      'and its settlement is appended to the Redis settlement stream before the answer completes, each in one script call shared ' +
      'with every request doing the same in that moment (the token correction rides with the next batch of takes); its hold comes ' +
      'from the escrow lease in memory; settlers write the stream to Postgres ' +
      `in batches. At 1,000 requests/s that writing costs ${at1k.perRequestCpuMs.postgres} ms of Postgres CPU and Redis ${at1k.perRequestCpuMs.redis} ms per request ` +
      `on the same two cores (the machine was ${at1k.machineBusyPercent}% busy). ` +
      saturation(at1k, pt),
      'Profile: `npx tsx bench/profile.ts` (node --cpu-prof on the gateway, self time by package and function).',
    '',
  ];
}

/**
 * At the top fixed rate, how much of its one core the gateway needed: past ~80% the latency added
 * there is mostly waiting for that core (queueing), which a faster machine would not show.
 */
function saturation(at: R, pt: R | undefined): string {
  const share = (at.perRequestCpuMs.gateway * at.rate) / 1000;
  if (share < 0.8) return '';
  return (
    `At ${at.rate.toLocaleString('en')} requests/s the gateway needed ${Math.round(share * 100)}% of its core (${at.perRequestCpuMs.gateway} ms of CPU a request), ` +
    `so the latency it adds there is mostly queueing for that core` +
    (pt ? ` (on this machine the bare pass-through itself tops out near ${Math.round(1000 / pt.cpuPerRequestMs).toLocaleString('en')} requests/s).` : '.')
  );
}

/** A per-chunk latency difference; below zero it is measurement noise around nothing. */
function usPerChunk(us: number): string {
  return us < 0 ? `0 µs (measured ${us} µs: within noise)` : `${us} µs`;
}
