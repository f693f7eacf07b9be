import OpenAI from 'openai';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../scripts/cluster.js';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../helpers/env.js';
import type { TestGateway } from '../helpers/gateway.js';
import { expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { waitFor } from '../helpers/wait.js';
import { adminCall } from '../helpers/admin-call.js';

/**
 * scripts/cluster.ts: three gateway processes behind the Node load balancer, as compose.yaml runs
 * them with nginx. Requests go through the balancer with the official SDK.
 */
describe('the local cluster (three replicas behind a load balancer)', () => {
  let db: TestDatabase;
  let mock: MockUpstream;
  let cluster: LocalCluster;
  let client: OpenAI;
  let accountId: string;
  const initialCredits = 100_000_000n; // 100 credits in microcredits

  beforeAll(async () => {
    db = await createTestDatabase();
    mock = await startMockUpstream();
    cluster = await startLocalCluster({
      databaseUrl: db.url,
      redisUrl: TEST_REDIS_URL,
      redisKeyPrefix: `tgtest:${randomBytes(4).toString('hex')}:`,
      adminToken: TEST_ADMIN_TOKEN,
      encryptionKey: TEST_ENCRYPTION_KEY,
      namePrefix: 'lc',
      env: { SEED_FILE: 'none', LEASE_IDLE_MS: '200', SHUTDOWN_DEADLINE_MS: '5000', LOG_LEVEL: 'warn' },
    });
    // The admin API through the balancer, as an operator would use it.
    const admin = (method: string, path: string, body?: unknown) => adminCall(cluster.url, method, path, body);
    const gw = { admin } as unknown as TestGateway;
    await seedMockCatalogue(gw, mock);
    const user = await createUserWithKey(gw, { credits: '100' });
    accountId = user.accountId;
    // The catalogue change reaches every replica through the config sync; wait until each serves the model.
    for (const r of cluster.replicas) {
      await waitFor(
        async () => {
          const res = await fetch(`${r.url}/v1/models/${CHAT_MODELS.openai}`, { headers: { authorization: `Bearer ${user.key}` } });
          return res.ok;
        },
        { what: `${r.id} to serve ${CHAT_MODELS.openai}` },
      );
    }
    client = new OpenAI({ apiKey: user.key, baseURL: `${cluster.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await cluster?.stop();
    await mock?.close();
    await db?.drop();
  });

  it('ran the migrations once although the replicas started together', async () => {
    const rows = await db.query<{ version: number; n: string }>('SELECT version, count(*)::text AS n FROM schema_migrations GROUP BY version');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.n === '1')).toBe(true);
  });

  it('spreads requests over all three replicas, streams through the balancer, and charges each request once', async () => {
    const served = new Map<string, string>(); // request id → instance
    for (let i = 0; i < 12; i++) {
      if (i % 3 === 2) {
        const { data: stream, response } = await client.chat.completions
          .create({ model: CHAT_MODELS.openai, stream: true, messages: [{ role: 'user', content: `count to three (${i})` }] })
          .withResponse();
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        expect(text.length).toBeGreaterThan(0);
        served.set(response.headers.get('x-request-id')!, response.headers.get('x-tollgate-instance')!);
      } else {
        const { data, response } = await client.chat.completions
          .create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: `hello (${i})` }] })
          .withResponse();
        expect(data.choices[0]?.message.content).toBeTruthy();
        served.set(response.headers.get('x-request-id')!, response.headers.get('x-tollgate-instance')!);
      }
    }
    expect(new Set(served.values())).toEqual(new Set(cluster.replicas.map((r) => r.id)));

    // Each request is recorded once, by the instance the header named.
    const rows = await waitFor(
      async () => {
        const r = await db.query<{ id: string; instance_id: string; cost: string }>('SELECT id, instance_id, cost::text FROM requests WHERE account_id = $1', [accountId]);
        return r.length === served.size && r;
      },
      { what: 'every request row' },
    );
    for (const row of rows) expect(row.instance_id).toBe(served.get(row.id));
    await quiescent(db);
    await expectMoneyInvariants(db, { noOpenHolds: true });
    const [account] = await db.query<{ balance: string }>('SELECT balance::text FROM accounts WHERE id = $1', [accountId]);
    const spent = rows.reduce((sum, r) => sum + BigInt(r.cost), 0n);
    expect(spent).toBeGreaterThan(0n);
    expect(BigInt(account!.balance)).toBe(initialCredits - spent);
  }, 120_000);

  it('keeps serving while one replica drains its stream and stops, and routes around it afterwards', async () => {
    const leaving = cluster.replicas[0]!;
    const ask = async () => {
      const { response } = await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'still there?' }] }).withResponse();
      return response.headers.get('x-tollgate-instance')!;
    };
    // A slow stream on the leaving replica keeps it draining for a while.
    await fetch(`${mock.url}/_mock/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', match: 'slow-drain', times: 1, fault: { type: 'slow_events', ms: 150 } }),
    });
    const direct = new OpenAI({ apiKey: client.apiKey, baseURL: `${leaving.url}/v1`, maxRetries: 0 });
    const slow = (async () => {
      const stream = await direct.chat.completions.create({ model: CHAT_MODELS.openai, stream: true, messages: [{ role: 'user', content: 'slow-drain: count' }] });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    })();
    await waitFor(() => mock.requests.some((r) => JSON.stringify(r.body).includes('slow-drain')), { what: 'the slow stream to reach the provider' });
    let stopped = false;
    const exit = leaving.stop().then((code) => {
      stopped = true;
      return code;
    });
    // Requests while it drains: the draining replica refuses them (it closes the connection the
    // balancer asked to be closed, before doing anything) and the balancer sends them to another;
    // none fails.
    const during: string[] = [];
    while (!stopped) during.push(await ask());
    expect(await exit).toBe(0);
    expect(during.length).toBeGreaterThan(0);
    expect((await slow).length, 'the stream in flight ran to its end').toBeGreaterThan(0);
    await waitFor(() => !cluster.balancer.healthy().includes(new URL(leaving.url).origin), { what: 'the balancer to drop the stopped replica' });
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add(await ask());
    expect(after).toEqual(new Set(cluster.replicas.slice(1).map((r) => r.id)));
    await quiescent(db);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  }, 120_000);

  it('stops every replica cleanly', async () => {
    const codes = await cluster.stop();
    expect(codes).toEqual([0, 0, 0]);
  }, 120_000);
});
