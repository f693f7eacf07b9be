import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from '../helpers/spawn.js';
import { startCluster, within, type Cluster } from '../helpers/cluster.js';

// The periodic version check is set far out, so what is measured here is the real-time path:
// commit → NOTIFY → leader → Redis pub/sub → every instance.
let c: Cluster;
let key: string;
let keyId: string;

beforeAll(async () => {
  c = await startCluster(3, { env: { CONFIG_CHECK_INTERVAL_MS: '60000' } });
  const [n1] = c.nodes;
  await c.admin(n1!, 'POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: c.mock.baseUrl('openai'), keys: [{ secret: 'mock-key-1' }] });
  await c.admin(n1!, 'POST', '/models', { alias: 'live', providerId: 'openai', upstreamModel: 'gpt-live', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
  const user = await c.admin(n1!, 'POST', '/users', { email: 'sync@example.test', initialCredits: '100' });
  const created = await c.admin(n1!, 'POST', `/users/${user.id}/keys`, {});
  key = created.key;
  keyId = created.id;
}, 90_000);

afterAll(async () => c?.close());

async function chat(node: GatewayProcess, model = 'live', apiKey = key) {
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello there gateway' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, cost: res.headers.get('x-tollgate-cost') };
}

describe('config changes reach every instance within a second', () => {
  it('a model created on one instance is served by all', async () => {
    await c.admin(c.nodes[0]!, 'POST', '/models', { alias: 'fresh', providerId: 'openai', upstreamModel: 'gpt-fresh', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
    for (const node of c.nodes) {
      const ms = await within(1000, async () => (await chat(node, 'fresh')).status === 200, `fresh model on ${node.url}`);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('a price change: every instance charges the new price within 1 s', async () => {
    for (const node of c.nodes) expect((await chat(node)).cost).toBe('0.000015');
    await c.admin(c.nodes[1]!, 'POST', '/models/live/prices', { inputPerMtok: '10', outputPerMtok: '20' });
    for (const node of c.nodes) await within(1000, async () => (await chat(node)).cost === '0.000150', `new price on ${node.url}`);
  });

  it('a revoked key: 401 on every instance within 1 s', async () => {
    for (const node of c.nodes) expect((await chat(node)).status).toBe(200);
    await c.admin(c.nodes[2]!, 'DELETE', `/keys/${keyId}`);
    for (const node of c.nodes) await within(1000, async () => (await chat(node)).status === 401, `revocation on ${node.url}`);
  });

  it('a model disabled by direct SQL (not the admin API): 404 on every instance within 1 s', async () => {
    const user = await c.admin(c.nodes[0]!, 'POST', '/users', { email: 'sync2@example.test', initialCredits: '100' });
    key = (await c.admin(c.nodes[0]!, 'POST', `/users/${user.id}/keys`, {})).key;
    for (const node of c.nodes) expect((await chat(node, 'fresh')).status).toBe(200);
    await c.db.query("UPDATE models SET enabled = false WHERE alias = 'fresh'");
    for (const node of c.nodes) await within(1000, async () => (await chat(node, 'fresh')).status === 404, `disabled model on ${node.url}`);
  });

  it('a disabled user: 403 on every instance within 1 s', async () => {
    const user = await c.admin(c.nodes[0]!, 'POST', '/users', { email: 'sync3@example.test', initialCredits: '100' });
    const k = (await c.admin(c.nodes[0]!, 'POST', `/users/${user.id}/keys`, {})).key;
    for (const node of c.nodes) expect((await chat(node, 'live', k)).status).toBe(200);
    await c.db.query('UPDATE users SET disabled = true WHERE id = $1', [user.id]);
    for (const node of c.nodes) await within(1000, async () => (await chat(node, 'live', k)).status === 403, `disabled user on ${node.url}`);
  });

  it('survives a dropped LISTEN connection: changes still arrive', async () => {
    await c.db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tollgate-listen'");
    await new Promise((r) => setTimeout(r, 1500)); // the leader reconnects with backoff
    await c.admin(c.nodes[0]!, 'POST', '/models/live/prices', { inputPerMtok: '1', outputPerMtok: '2' });
    for (const node of c.nodes) await within(3000, async () => (await chat(node)).cost === '0.000015', `price after reconnect on ${node.url}`);
  });
});
