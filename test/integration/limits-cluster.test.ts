import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

let c: Cluster;
let key: string;
/** Another user on the same plan: its requests show whether an instance knows the plan, without spending the tested user's limit. */
let probeKey: string;

beforeAll(async () => {
  c = await startCluster(3);
  const n = c.nodes[0]!;
  await c.admin(n, 'POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: c.mock.baseUrl('openai'), keys: [{ secret: 'k' }] });
  await c.admin(n, 'POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'm', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '1' } });
  await c.admin(n, 'POST', '/plans', { id: 'ten', name: 'Ten a minute', rpm: 10 });
  const user = await c.admin(n, 'POST', '/users', { email: 'rl@example.test', planId: 'ten', initialCredits: '10' });
  key = (await c.admin(n, 'POST', `/users/${user.id}/keys`, {})).key;
  const probe = await c.admin(n, 'POST', '/users', { email: 'rl-probe@example.test', planId: 'ten', initialCredits: '10' });
  probeKey = (await c.admin(n, 'POST', `/users/${probe.id}/keys`, {})).key;
}, 240_000);

function chat(url: string, apiKey: string) {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

afterAll(async () => c?.close());

describe('limits shared by all instances', () => {
  it('a user limited to 10 requests a minute gets 10 across three instances, not 30', async () => {
    // Every instance must know the plan first (real-time invalidation): an instance that does
    // answers the probe user with the plan's limit in its headers (on a 200 or a 429).
    for (const node of c.nodes) {
      await waitFor(async () => {
        const res = await chat(node.url, probeKey);
        await res.arrayBuffer();
        return res.headers.get('x-ratelimit-limit-requests') === '10';
      }, { what: `the plan to reach ${node.url}` });
    }
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const res = await chat(c.nodes[i % 3]!.url, key);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });
});
