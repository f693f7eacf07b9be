import { Cluster as RedisCluster } from 'ioredis';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheLayout } from '../../src/cache/store.js';
import { readMigrations } from '../../src/store/migrate.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { ownPgBouncer, type OwnPgBouncer } from '../helpers/pgbouncer.js';
import { ownRedisCluster, type OwnRedisCluster } from '../helpers/redis-cluster.js';
import type { GatewayProcess } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

// Three gateway processes on a three-node Redis Cluster, reaching Postgres through a PgBouncer in
// transaction pooling mode (LISTEN on its own direct connection, DATABASE_DIRECT_URL). The
// periodic config check is set as far out as it goes, so a change that arrives at all came by the
// real-time path (NOTIFY on the direct connection → leader → cluster pub/sub).
let redis: OwnRedisCluster;
let hooks: Server;
/** Webhook deliveries received (the alert's event and body), from any instance. */
const deliveries: Array<{ event: string; body: any }> = [];
let hookUrl = '';
let bouncer: OwnPgBouncer;
let c: Cluster;
let client: RedisCluster;

beforeAll(async () => {
  [redis, bouncer] = await Promise.all([ownRedisCluster(), ownPgBouncer()]);
  hooks = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      deliveries.push({ event: String(req.headers['x-tollgate-event']), body: JSON.parse(raw) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hooks`;
  client = new RedisCluster(redis.ports.map((port) => ({ host: '127.0.0.1', port })));
  // The three start together on an empty database: each migrates through PgBouncer at once.
  c = await startCluster(3, {
    redisUrl: redis.url,
    database: (db) => ({ url: bouncer.urlFor(db.name), env: { DATABASE_DIRECT_URL: db.url } }),
    env: { CONFIG_CHECK_INTERVAL_MS: '600000', CREDIT_WAIT_MS: '15000', CACHE_MAX_ENTRIES: '40', ALERT_CHECK_INTERVAL_MS: '100', WEBHOOK_ALLOW_PRIVATE: 'true' },
  });
  const n = c.nodes[0]!;
  await c.admin(n, 'POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: c.mock.baseUrl('openai'), keys: [{ secret: 'mock-openai-key-0001' }] });
  await c.admin(n, 'POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'gpt-m', contextWindow: 10_000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
  await c.admin(n, 'POST', '/plans', { id: 'ten', name: 'Ten a minute', rpm: 10 });
}, 240_000);

afterAll(async () => {
  client?.disconnect();
  await c?.close();
  await Promise.all([bouncer?.stop(), redis?.stop(), new Promise((resolve) => (hooks ? hooks.close(resolve) : resolve(undefined)))]);
});

async function userKey(credits: string, planId?: string): Promise<{ key: string; keyId: string; accountId: string }> {
  const user = await c.admin(c.nodes[0]!, 'POST', '/users', { email: `u-${Math.random().toString(36).slice(2)}@example.test`, initialCredits: credits, ...(planId ? { planId } : {}) });
  const created = await c.admin(c.nodes[0]!, 'POST', `/users/${user.id}/keys`, {});
  return { key: created.key as string, keyId: created.id as string, accountId: user.accountId as string };
}

async function chat(node: GatewayProcess, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'm', ...body }),
  });
  const json = (await res.json()) as { id?: string; usage?: { completion_tokens: number }; error?: { code: string } };
  return { status: res.status, headers: res.headers, json };
}

/** Every instance knows the model `alias` (a request for it is not a 404). */
async function everyNodeKnows(alias: string, key: string): Promise<void> {
  for (const node of c.nodes) {
    await waitFor(async () => (await chat(node, key, { model: alias, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).status !== 404, { what: `${alias} on ${node.url}` });
  }
}

describe('on a Redis Cluster, behind PgBouncer in transaction pooling mode', () => {
  it('three instances migrating at once through PgBouncer apply every migration once', async () => {
    const rows = await c.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(readMigrations().map((m) => m.version));
  });

  it('600 concurrent requests on one account funded for ~100: never below zero, each served request charged once, nothing left held or in the stream', async () => {
    const { key, accountId } = await userKey('0.004200');
    await everyNodeKnows('m', (await userKey('1')).key);
    const body = { max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] };
    const results = await Promise.all(
      Array.from({ length: 600 }, async (_, i) => {
        const r = await chat(c.nodes[i % 3]!, key, body);
        return { ...r, id: r.headers.get('x-request-id')! };
      }),
    );
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 402);
    expect(served.length + refused.length).toBe(600);
    expect(refused.every((r) => r.json.error?.code === 'insufficient_credits')).toBe(true);
    expect(served.length).toBeGreaterThanOrEqual(90);

    await quiescent(c.db);
    const charges = await c.db.query<{ request_id: string; amount: string }>("SELECT request_id, amount::text FROM ledger WHERE kind = 'usage' AND account_id = $1", [accountId]);
    expect(new Set(charges.map((ch) => ch.request_id))).toEqual(new Set(served.map((r) => r.id)));
    expect(charges).toHaveLength(served.length);
    const spent = charges.reduce((sum, ch) => sum - BigInt(ch.amount), 0n);
    const [acct] = await c.db.query<{ balance: string }>('SELECT balance::text FROM accounts WHERE id = $1', [accountId]);
    expect(BigInt(acct!.balance)).toBe(4200n - spent);
    expect(spent).toBeLessThanOrEqual(4200n);
    await expectMoneyInvariants(c.db, { noOpenHolds: true });
    // The settlement stream (on the cluster) is drained and counts nothing unwritten.
    await waitFor(async () => (await client.xlen(`${c.prefix}{credits}:settlements`)) === 0, { what: 'an empty settlement stream' });
    expect(await client.hgetall(`${c.prefix}{credits}:unwritten`)).toEqual({});
  }, 120_000);

  it('300 concurrent requests on a capped key across the three instances: the cap is never exceeded, served == charged, and each alert threshold fires once', async () => {
    // Each request: prompt 2 tokens, 20 output tokens → 42 µ; the cap affords about 25. The
    // account could pay for far more: the cap, not the balance, is what refuses.
    const CAP = 1_050n;
    const { key, keyId, accountId } = await userKey('1');
    await everyNodeKnows('m', (await userKey('1')).key);
    const hook = await c.admin(c.nodes[0]!, 'POST', '/webhooks', { name: 'scale-out', url: hookUrl });
    await c.admin(c.nodes[1]!, 'PATCH', `/keys/${keyId}/limits`, { caps: { day: '0.001050' } });
    // An alert needs the cap it watches to exist.
    const alert = await c.admin(c.nodes[0]!, 'POST', '/alerts', { webhookId: hook.id, kind: 'budget', keyId, period: 'day', percents: [50, 80] });
    // No instance has looked the key up yet: each reads it with its cap on first use.
    // While the burst runs, what is spent plus what requests in flight reserve never exceeds the
    // cap: sampled straight from Postgres.
    let running = true;
    const overdrawn: unknown[] = [];
    const watcher = (async () => {
      while (running) {
        overdrawn.push(...(await c.db.query('SELECT u.spent::text, u.reserved::text FROM budgets b JOIN budget_usage u ON u.budget_id = b.id WHERE b.api_key_id = $1 AND u.spent + u.reserved > b.limit_amount', [keyId])));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const body = { max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] };
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const r = await chat(c.nodes[i % 3]!, key, body);
        return { ...r, id: r.headers.get('x-request-id')! };
      }),
    );
    running = false;
    await watcher;
    expect(overdrawn).toEqual([]);
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 402);
    expect(served.length + refused.length).toBe(300);
    expect(refused.every((r) => r.json.error?.code === 'budget_exceeded')).toBe(true);
    expect(served.length).toBeGreaterThanOrEqual(20);

    await quiescent(c.db);
    await expectMoneyInvariants(c.db, { noOpenHolds: true });
    const rows = await c.db.query<{ id: string; cost: string }>('SELECT id, cost::text FROM requests WHERE api_key_id = $1 AND status = 200', [keyId]);
    const spent = rows.reduce((sum, r) => sum + BigInt(r.cost), 0n);
    expect(spent).toBeLessThanOrEqual(CAP);
    // Served == charged: one usage entry per served request, nothing else.
    const charges = await c.db.query<{ request_id: string; amount: string }>("SELECT request_id, amount::text FROM ledger WHERE kind = 'usage' AND account_id = $1", [accountId]);
    expect(new Set(charges.map((ch) => ch.request_id))).toEqual(new Set(rows.map((r) => r.id)));
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(served.map((r) => r.id)));
    expect(charges.reduce((sum, ch) => sum - BigInt(ch.amount), 0n)).toBe(spent);
    const [usage] = await c.db.query<{ spent: string; reserved: string }>('SELECT u.spent::text, u.reserved::text FROM budgets b JOIN budget_usage u ON u.budget_id = b.id WHERE b.api_key_id = $1', [keyId]);
    expect(usage).toEqual({ spent: spent.toString(), reserved: '0' });
    await expect(c.db.query('SELECT request_id FROM budget_reservations')).resolves.toEqual([]);

    // Three instances evaluate alerts; 50 % and 80 % of the cap are each delivered once. A probe
    // alert created afterwards fires at once: once it is delivered, rounds ran after the others.
    const budgetDeliveries = () => deliveries.filter((d) => d.event === 'alert.budget' && d.body.data.alert_id === alert.id);
    await waitFor(() => budgetDeliveries().length >= 2, { what: 'the two budget alerts' });
    await c.admin(c.nodes[2]!, 'POST', '/alerts', { webhookId: hook.id, kind: 'low_balance', accountId, below: ['100'] });
    await waitFor(() => deliveries.some((d) => d.event === 'alert.low_balance' && d.body.data.account_id === accountId), { what: 'the probe alert' });
    expect(budgetDeliveries().map((d) => d.body.data.threshold_percent).sort()).toEqual([50, 80]);
  }, 180_000);

  it('a cap changed through one instance applies on the others at once (NOTIFY on the direct connection)', async () => {
    const { key, keyId } = await userKey('1');
    const ask = () => chat(c.nodes[2]!, key, { max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] });
    // The third instance has the key cached, uncapped…
    await waitFor(async () => (await ask()).status === 200, { what: 'the key served on the third instance' });
    await c.admin(c.nodes[0]!, 'PATCH', `/keys/${keyId}/limits`, { caps: { day: '0.00005' } });
    // …and refuses it once the change reaches it (the 42 µ spent is counted: 8 µ are left). The
    // periodic check is ten minutes away, so only LISTEN/NOTIFY can have brought it.
    await waitFor(async () => (await ask()).json.error?.code === 'budget_exceeded', { what: 'the cap on another instance' });
    await c.admin(c.nodes[1]!, 'PATCH', `/keys/${keyId}/limits`, { caps: { day: null } });
    await waitFor(async () => (await ask()).status === 200, { what: 'the cap removed on another instance' });
  }, 60_000);

  it('a config change reaches every instance in real time', async () => {
    const { key } = await userKey('1');
    await c.admin(c.nodes[1]!, 'POST', '/models', { alias: 'fresh', providerId: 'openai', upstreamModel: 'gpt-fresh', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
    await everyNodeKnows('fresh', key);
  });

  it('a user limited to 10 requests a minute gets 10 across three instances', async () => {
    const { key } = await userKey('10', 'ten');
    const probe = await userKey('10', 'ten');
    for (const node of c.nodes) {
      await waitFor(async () => (await chat(node, probe.key, { messages: [{ role: 'user', content: 'hi' }] })).headers.get('x-ratelimit-limit-requests') === '10', {
        what: `the plan on ${node.url}`,
      });
    }
    const statuses = await Promise.all(Array.from({ length: 30 }, async (_, i) => (await chat(c.nodes[i % 3]!, key, { messages: [{ role: 'user', content: 'hi' }] })).status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('an answer cached by one instance is a hit on another, and the cache stays within CACHE_MAX_ENTRIES', async () => {
    const { key } = await userKey('10');
    const ask = (node: GatewayProcess, content: string) => chat(node, key, { temperature: 0, messages: [{ role: 'user', content }] });
    const cachedEntries = async () => {
      let n = 0;
      for (const node of client.nodes('master')) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${c.prefix}cache:*`, 'COUNT', 1000);
          n += keys.length;
          cursor = next;
        } while (cursor !== '0');
      }
      return n;
    };
    const before = await cachedEntries();
    const first = await ask(c.nodes[0]!, 'cache me across instances');
    expect(first.headers.get('x-cache')).toBe('MISS');
    // The answer is stored after it is sent: another instance asked before then misses and stores its own.
    await waitFor(async () => (await cachedEntries()) > before, { what: 'the first answer stored in the cache' });
    const hit = await waitFor(async () => {
      const r = await ask(c.nodes[2]!, 'cache me across instances');
      return r.headers.get('x-cache') === 'HIT' && r;
    }, { what: 'a cache hit on another instance' });
    expect(hit.json.id).toBe(first.json.id);

    for (let i = 0; i < 60; i++) await ask(c.nodes[i % 3]!, `fill the cache ${i}`);
    const last = await ask(c.nodes[0]!, 'the last one');
    await waitFor(async () => (await ask(c.nodes[1]!, 'the last one')).headers.get('x-cache') === 'HIT', { what: 'the last answer cached' });
    const entries = await cachedEntries();
    expect(last.status).toBe(200);
    // 62 answers over 16 shards of 2 (40 / 16): nearly every shard is full, none holds more.
    const layout = new CacheLayout(c.prefix, 40);
    const sizes = await Promise.all(layout.indexes().map((index) => client.zcard(index)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(layout.perShard);
    expect(entries).toBeGreaterThan(16);
    expect(entries).toBeLessThanOrEqual(40);
  });

  it('an Idempotency-Key repeated on another instance is answered from the first request', async () => {
    const { key } = await userKey('10');
    const headers = { 'Idempotency-Key': 'scale-out-once' };
    const body = { messages: [{ role: 'user', content: 'only once' }] };
    const first = await chat(c.nodes[0]!, key, body, headers);
    expect(first.status).toBe(200);
    const again = await waitFor(async () => {
      const r = await chat(c.nodes[1]!, key, body, headers);
      return r.status === 200 && r;
    }, { what: 'the repeat answered' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json.id).toBe(first.json.id);
  });

  it('no instance met a cross-slot error or lost Redis or Postgres on the way', async () => {
    // An instance whose cluster client took longer than its start-up wait (a loaded machine) says
    // so once and serves without Redis until it connects: that is no trouble on the way, as long
    // as every instance is on Redis now.
    const lateAtStart = /redis not reachable at start|config sync: Redis unreachable: this instance listens to Postgres itself/;
    const trouble = c.nodes.flatMap((n) => n.output.join('').split('\n')).filter((l) => /"level":(40|50|60)/.test(l) && /slot|unavailable|redis|postgres/i.test(l) && !lateAtStart.test(l));
    expect(trouble).toEqual([]);
    for (const node of c.nodes) expect(await (await fetch(`${node.url}/ready`)).json()).toMatchObject({ status: 'ready' });
  });
});
