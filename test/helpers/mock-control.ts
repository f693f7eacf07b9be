import type { FaultRule } from '../mock-upstream/faults.js';
import type { MockUpstream } from '../mock-upstream/server.js';

/** Registers fault rules on the mock upstream (through its control API, as any client would). */
export async function injectFault(mock: MockUpstream, rule: FaultRule | FaultRule[]): Promise<void> {
  const res = await fetch(`${mock.url}/_mock/faults`, { method: 'POST', body: JSON.stringify(rule) });
  if (!res.ok) throw new Error(`mock fault injection failed: ${res.status}`);
}

export async function clearFaults(mock: MockUpstream): Promise<void> {
  await fetch(`${mock.url}/_mock/faults`, { method: 'DELETE' });
}
