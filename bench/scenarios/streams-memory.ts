import { Agent, request } from 'undici';
import type { BenchEnv } from '../setup.js';
import { rssMb } from '../procs.js';

/**
 * 1,000 concurrent streams held open (each a slow upstream stream), the gateway's resident
 * memory while they are all open. Bounded: the streams are aborted after the sample.
 */
export async function concurrentStreams(env: BenchEnv, count = 1000) {
  await fetch(`${env.mockUrl}/_mock/faults`, { method: 'POST', body: JSON.stringify({ match: 'hold-open', times: 0, fault: { type: 'slow_events', ms: 400 } }) });
  const before = rssMb(env.gateway.pid);
  const agent = new Agent({ connections: count + 10, pipelining: 1 });
  const ctrl = new AbortController();
  let started = 0;
  let peak = before;
  const body = JSON.stringify({ model: 'bench-model', stream: true, max_tokens: 100, messages: [{ role: 'user', content: 'hold-open [[reply:60]]' }] });
  const streams = Array.from({ length: count }, async () => {
    try {
      const res = await request(`${env.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        signal: ctrl.signal,
        headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' },
        body,
      });
      let counted = false;
      for await (const _ of res.body) {
        if (!counted) {
          counted = true;
          started++;
        }
      }
    } catch {
      /* aborted at the end */
    }
  });
  const deadline = Date.now() + 30_000;
  while (started < count && Date.now() < deadline) {
    peak = Math.max(peak, rssMb(env.gateway.pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 20; i++) {
    peak = Math.max(peak, rssMb(env.gateway.pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  const open = started;
  ctrl.abort();
  await Promise.allSettled(streams);
  await agent.close();
  await fetch(`${env.mockUrl}/_mock/faults`, { method: 'DELETE' });
  return { streams: count, openAtPeak: open, rssBeforeMb: Math.round(before), rssPeakMb: Math.round(peak) };
}
