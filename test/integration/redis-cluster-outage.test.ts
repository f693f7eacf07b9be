import { Redis, Cluster as RedisCluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '../../src/store/redis.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { ownRedisCluster, type OwnRedisCluster } from '../helpers/redis-cluster.js';
import type { GatewayProcess } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

let redis: OwnRedisCluster;
let c: Cluster;
let key: string;
let accountId: string;

beforeAll(async () => {
  redis = await ownRedisCluster();
  c = await startCluster(2, { redisUrl: redis.url, env: { CONFIG_CHECK_INTERVAL_MS: '500', LIMITS_EXPECTED_INSTANCES: '2' } });
  const n = c.nodes[0]!;
  await c.admin(n, 'POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: c.mock.baseUrl('openai'), keys: [{ secret: 'k' }] });
  await c.admin(n, 'POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'm', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
  await c.admin(n, 'POST', '/plans', { id: 'capped', name: 'Capped', rpm: 1000 });
  const user = await c.admin(n, 'POST', '/users', { email: 'cluster-outage@example.test', planId: 'capped', initialCredits: '10' });
  key = (await c.admin(n, 'POST', `/users/${user.id}/keys`, {})).key;
  accountId = user.accountId;
}, 240_000);

afterAll(async () => {
  await c?.close();
  await redis?.stop();
});

async function chat(node: GatewayProcess, content = 'Hello there gateway') {
  const t0 = performance.now();
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', temperature: 0, messages: [{ role: 'user', content }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, cost: res.headers.get('x-tollgate-cost'), cache: res.headers.get('x-cache'), ms: performance.now() - t0 };
}

/** The port of the master that serves `key`'s slot. */
async function masterOf(name: string): Promise<number> {
  const client = new RedisCluster(redis.ports.map((port) => ({ host: '127.0.0.1', port })));
  try {
    const slot = (await client.cluster('KEYSLOT', name)) as number;
    const ranges = await client.cluster('SLOTS');
    return ranges.find(([from, to]) => slot >= from && slot <= to)![2]![1];
  } finally {
    client.disconnect();
  }
}

describe('a Redis Cluster node lost', () => {
  it('every instance keeps serving and charges each request once; when the node returns, Redis is used again', async (ctx) => {
    for (const node of c.nodes) await waitFor(async () => (await chat(node)).status === 200, { what: `warm ${node.url}` });

    // The node holding the settlement stream: settlements must go to Postgres directly meanwhile.
    const port = await masterOf(`${c.prefix}{credits}:settlements`);
    await redis.kill(port);
    const during = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(c.nodes[i % 2]!, `during ${i}`)));
    expect(during.map((r) => r.status)).toEqual(during.map(() => 200));
    ctx.annotate(`requests while a node was down: slowest ${Math.round(Math.max(...during.map((r) => r.ms)))} ms`);

    await redis.start(port);
    for (const node of c.nodes) {
      await waitFor(async () => ((await (await fetch(`${node.url}/ready`)).json()) as { status: string }).status === 'ready', { what: `ready again on ${node.url}`, deadlineMs: 30_000 });
    }
    // The cache works across instances again (its shards are on every node, the restarted one included).
    const prompts = Array.from({ length: 8 }, (_, i) => `after ${i}`);
    for (const p of prompts) expect((await chat(c.nodes[0]!, p)).status).toBe(200);
    for (const p of prompts) await waitFor(async () => (await chat(c.nodes[1]!, p)).cache === 'HIT', { what: `a cache hit for '${p}'` });

    await quiescent(c.db);
    await expectMoneyInvariants(c.db, { noOpenHolds: true });
    // Every answered request (not a free cache hit) has its one charge; none is missing.
    const uncharged = await c.db.query(
      `SELECT r.id FROM requests r LEFT JOIN ledger l ON l.request_id = r.id AND l.kind = 'usage'
        WHERE r.account_id = $1 AND r.status = 200 AND NOT r.cache_hit AND l.request_id IS NULL`,
      [accountId],
    );
    expect(uncharged).toEqual([]);
    const [row] = await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM requests WHERE account_id = $1 AND status = 200', [accountId]);
    expect(row!.n).toBeGreaterThanOrEqual(during.length + prompts.length * 2);
  }, 120_000);
});

describe("the gateway's cluster client while a node is down", () => {
  let client: RedisClient;
  let survivor: Redis;
  afterAll(() => {
    client?.disconnect();
    survivor?.disconnect();
  });

  it('sends a command once and fails it, as on one Redis server (every caller has a fallback), instead of retrying it', async () => {
    client = createRedis(redis.url, () => undefined);
    const byPort = new Map<number, string>();
    for (let i = 0; byPort.size < redis.ports.length; i++) byPort.set(await masterOf(`probe-${i}`), `probe-${i}`);
    const [dead, live] = redis.ports as [number, number];
    await waitFor(async () => (await client.set(byPort.get(dead)!, 'x')) === 'OK', { what: 'the cluster client ready' });
    await redis.kill(dead);
    expect(await client.get(byPort.get(dead)!).then(() => 'answered', (err: Error) => err.message)).toBe('Connection is closed.');

    // Once the survivors declare the cluster down (no replica took the lost node's slots over),
    // a command for one of their keys reaches them once and fails with their answer.
    await waitFor(async () => client.get(byPort.get(live)!).then(() => false, (err: Error) => /^CLUSTERDOWN/.test(err.message)), { what: 'the cluster declared down', deadlineMs: 30_000 });
    survivor = new Redis(live, '127.0.0.1');
    await survivor.config('RESETSTAT');
    const answer = await client.get(byPort.get(live)!).then(() => 'answered', (err: Error) => err.message);
    const stats = await survivor.info('commandstats');
    expect(answer).toMatch(/^CLUSTERDOWN/);
    expect(/cmdstat_get:.*rejected_calls=(\d+)/.exec(stats)?.[1], 'GETs the survivor refused').toBe('1');
  }, 60_000);
});
