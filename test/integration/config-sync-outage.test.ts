import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import type { GatewayProcess } from '../helpers/spawn.js';

// Revocation while Redis is down: changes must arrive through Postgres. The periodic version
// check is set far out, so what is measured is the path the instances take by themselves.
let redis: OwnRedis;
let c: Cluster;
let userId: string;

beforeAll(async () => {
  redis = await ownRedis();
  c = await startCluster(3, { redisUrl: redis.url, env: { CONFIG_CHECK_INTERVAL_MS: '60000', LIMITS_EXPECTED_INSTANCES: '3' } });
  const n = c.nodes[0]!;
  await c.admin(n, 'POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: c.mock.baseUrl('openai'), keys: [{ secret: 'k' }] });
  await c.admin(n, 'POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'm', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
  userId = (await c.admin(n, 'POST', '/users', { email: 'revoke@example.test', initialCredits: '10' })).id;
}, 240_000);

afterAll(async () => {
  await c?.close();
  await redis?.kill();
});

async function chat(node: GatewayProcess, key: string): Promise<number> {
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello there gateway' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** A key every instance has answered (so each holds its verdict in memory). */
async function cachedEverywhere(): Promise<{ key: string; id: string }> {
  const created = await c.admin(c.nodes[0]!, 'POST', `/users/${userId}/keys`, {});
  for (const node of c.nodes) expect(await chat(node, created.key)).toBe(200);
  return { key: created.key, id: created.id };
}

/**
 * Revokes `key` through the admin API of the last instance, then polls every instance at the
 * same time until it answers 401: milliseconds from the commit (the admin answer) per instance.
 */
async function revokeAndMeasure(k: { key: string; id: string }, deadlineMs: number): Promise<number[]> {
  await c.admin(c.nodes[2]!, 'DELETE', `/keys/${k.id}`);
  const committed = performance.now();
  return Promise.all(
    c.nodes.map(async (node) => {
      for (;;) {
        if ((await chat(node, k.key)) === 401) return Math.round(performance.now() - committed);
        if (performance.now() - committed > deadlineMs) throw new Error(`${node.url} still accepts the revoked key ${deadlineMs} ms after the commit`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
}

const SELF_LISTENING = 'Redis unreachable: this instance listens to Postgres itself';
const logged = (node: GatewayProcess, text: string) => node.output.join('').includes(text);

async function untilEvery(text: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!c.nodes.every((n) => logged(n, text))) {
    if (Date.now() > deadline) throw new Error(`not every instance logged "${text}" within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('config changes while Redis is down', () => {
  it('a key revoked during a Redis outage is refused by every instance', async () => {
    const first = await cachedEverywhere();
    const second = await cachedEverywhere();
    const afterwards = await cachedEverywhere();

    await redis.kill();
    // Revoked before the instances have noticed the outage: they catch up when they do.
    const atOnce = await revokeAndMeasure(first, 10_000);
    // Revoked once every instance has noticed: each hears Postgres' NOTIFY itself.
    await untilEvery(SELF_LISTENING, 10_000);
    const noticed = await revokeAndMeasure(second, 5_000);

    // Redis returns: the instances go back to one listener fanning out through Redis.
    await redis.start();
    await untilEvery('Redis reachable again', 15_000);
    const recovered = await revokeAndMeasure(afterwards, 5_000);
    console.info(`revocation propagation per instance, ms from the commit: at the outage ${atOnce}; during it ${noticed}; after it ${recovered}`);
  }, 90_000);
});
