import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';

let c: Cluster;
let key: string;

beforeAll(async () => {
  c = await startCluster(3);
  const n = c.nodes[0]!;
  await c.admin(n, 'POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: c.mock.baseUrl('openai'), keys: [{ secret: 'k' }] });
  await c.admin(n, 'POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'm', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '1' } });
  await c.admin(n, 'POST', '/plans', { id: 'ten', name: 'Ten a minute', rpm: 10 });
  const user = await c.admin(n, 'POST', '/users', { email: 'rl@example.test', planId: 'ten', initialCredits: '10' });
  key = (await c.admin(n, 'POST', `/users/${user.id}/keys`, {})).key;
}, 90_000);

afterAll(async () => c?.close());

describe('limits shared by all instances', () => {
  it('a user limited to 10 requests a minute gets 10 across three instances, not 30', async () => {
    // Let the plan reach every instance first (real-time invalidation).
    await new Promise((r) => setTimeout(r, 500));
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const res = await fetch(`${c.nodes[i % 3]!.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });
});
