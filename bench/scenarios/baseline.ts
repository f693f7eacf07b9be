import { projectPath } from '../../src/paths.js';
import { fixedRate } from '../latency.js';
import { runLoad } from '../load.js';
import { cpuMs, spawnNode, waitForHttp } from '../procs.js';
import { OUT, type BenchEnv } from '../setup.js';

/** Requests per second, and seconds, of the lone-request measurements: slow enough that none overlap. */
export const LONE_RATE = 50;
export const LONE_SECONDS = 6;

/** The pass-through's body: the gateway's request, model aside. */
export const PASSTHROUGH_BODY = JSON.stringify({ model: 'x', max_tokens: 200, messages: [{ role: 'user', content: 'Benchmark request [[reply:12]]' }] });

/** Starts bench/passthrough.ts on the gateway's core, in front of the mock. */
export async function startPassthrough(env: BenchEnv, port: number) {
  const proc = spawnNode(['--import', 'tsx', projectPath('bench', 'passthrough.ts')], { core: 0, env: { ...process.env, PORT: String(port), UPSTREAM: env.mockUrl }, logFile: `${OUT}/passthrough-${port}.log` });
  await waitForHttp(`http://127.0.0.1:${port}/`).catch(() => undefined);
  return { proc, origin: `http://127.0.0.1:${port}` };
}

/** The bare pass-through on the gateway's core: this machine's ceiling for one proxy hop. */
export async function passthroughBaseline(env: BenchEnv, durationS: number) {
  const port = 18_081;
  const { proc } = await startPassthrough(env, port);
  try {
    const body = PASSTHROUGH_BODY;
    await runLoad({ url: `http://127.0.0.1:${port}/`, body, headers: {}, connections: 64, durationS: 2 });
    const cpu0 = cpuMs(proc.pid);
    const r = await runLoad({ url: `http://127.0.0.1:${port}/`, body, headers: {}, connections: 64, durationS });
    const cpuPerRequestMs = Math.round(((cpuMs(proc.pid) - cpu0) / Math.max(1, r.requests)) * 1000) / 1000;
    // A lone request: one at a time (each done long before the next), microsecond clock.
    const lone = await fixedRate({ origin: `http://127.0.0.1:${port}`, path: '/', body, headers: {}, rate: LONE_RATE, durationS: LONE_SECONDS });
    return { ...r, cpuPerRequestMs, lone };
  } finally {
    await proc.stop();
  }
}
