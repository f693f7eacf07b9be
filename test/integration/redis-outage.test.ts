import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, within, type Cluster } from '../helpers/cluster.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import type { GatewayProcess } from '../helpers/spawn.js';

let redis: OwnRedis;
let c: Cluster;
let key: string;

beforeAll(async () => {
  redis = await ownRedis();
  c = await startCluster(2, { redisUrl: redis.url, env: { CONFIG_CHECK_INTERVAL_MS: '500', LIMITS_EXPECTED_INSTANCES: '2' } });
  const n = c.nodes[0]!;
  await c.admin(n, 'POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: c.mock.baseUrl('openai'), keys: [{ secret: 'k' }] });
  await c.admin(n, 'POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'm', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
  await c.admin(n, 'POST', '/plans', { id: 'capped', name: 'Capped', rpm: 1000 });
  const user = await c.admin(n, 'POST', '/users', { email: 'outage@example.test', planId: 'capped', initialCredits: '10' });
  key = (await c.admin(n, 'POST', `/users/${user.id}/keys`, {})).key;
}, 240_000);

afterAll(async () => {
  await c?.close();
  await redis?.kill();
});

async function chat(node: GatewayProcess) {
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello there gateway' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, cost: res.headers.get('x-tollgate-cost') };
}

describe('a Redis outage', () => {
  it('the gateway keeps serving while Redis is down, and recovers by itself when it returns', async () => {
    for (const node of c.nodes) await within(2000, async () => (await chat(node)).status === 200, 'warm');

    await redis.kill();
    // Config and keys from memory, limits from the in-memory insurance limiters.
    for (let i = 0; i < 5; i++) for (const node of c.nodes) expect(await chat(node)).toEqual({ status: 200, cost: '0.000015' });
    const ready = await (await fetch(`${c.nodes[0]!.url}/ready`)).json();
    expect(ready).toMatchObject({ status: 'degraded', checks: { postgres: 'ok', config: 'ok' } });

    // A price change while Redis is away reaches every instance through Postgres …
    await c.admin(c.nodes[0]!, 'POST', '/models/m/prices', { inputPerMtok: '10', outputPerMtok: '20' });
    for (const node of c.nodes) await within(8000, async () => (await chat(node)).cost === '0.000150', `price during the outage on ${node.url}`);

    // … and so does one made once Redis is back (empty), without a restart.
    await redis.start();
    await c.admin(c.nodes[1]!, 'POST', '/models/m/prices', { inputPerMtok: '1', outputPerMtok: '2' });
    for (const node of c.nodes) await within(8000, async () => (await chat(node)).cost === '0.000015', `price after Redis returned on ${node.url}`);
    // Every connection is back (each reconnects with its own backoff, up to 3 s).
    for (const node of c.nodes) {
      await within(8000, async () => ((await (await fetch(`${node.url}/ready`)).json()) as { status: string }).status === 'ready', `ready again on ${node.url}`);
    }
  }, 60_000);
});
