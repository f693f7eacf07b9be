import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import { chatStatus } from '../helpers/requests.js';

// With Redis down, a key the instance has not cached is looked up in Postgres at once: the
// lookup must not wait for the Redis client's next reconnect attempt (a queued command is only
// failed there, 3 s apart once the backoff has grown).

let tdb: TestDatabase;
let mock: MockUpstream;
let own: OwnRedis;
let gw: TestGateway;
let userId: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  mock = await startMockUpstream();
  own = await ownRedis();
  gw = await startTestGateway({ databaseUrl: tdb.url, env: { REDIS_URL: own.url } });
  await gw.admin('POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: mock.baseUrl('openai'), keys: [{ secret: 'k' }] });
  await gw.admin('POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'm', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
  userId = (await gw.admin('POST', '/users', { email: 'fast@example.test', initialCredits: '10' })).id;
}, 240_000);

afterAll(async () => {
  await gw?.close();
  await own?.kill();
  await mock?.close();
  await tdb?.drop();
});

const chat = (apiKey: string) => chatStatus(gw.url, apiKey);

describe('a Redis outage on the hot path', () => {
  it('a key nobody cached is answered from Postgres before the Redis client next tries to reconnect', async () => {
    const redis = gw.redis!;
    const cached = (await gw.admin('POST', `/users/${userId}/keys`, {})).key as string;
    const uncached = (await gw.admin('POST', `/users/${userId}/keys`, {})).key as string;
    expect(await chat(cached)).toBe(200);

    // Wait for the client's backoff to reach its longest step (3 s between attempts).
    const atLongestBackoff = new Promise<void>((resolve) => {
      const onReconnecting = (delay: number) => {
        if (delay < 3_000) return;
        redis.off('reconnecting', onReconnecting);
        resolve();
      };
      redis.on('reconnecting', onReconnecting);
    });
    await own.kill();
    // An admin write clears this instance's key cache.
    await gw.admin('PATCH', `/users/${userId}`, { name: 'during the outage' });
    await atLongestBackoff;

    // From here until the next 'connecting' event the client is idle in its backoff: a command
    // queued for Redis could not be failed (and the request answered) before that event.
    let attempts = 0;
    const onConnecting = () => attempts++;
    redis.on('connecting', onConnecting);
    try {
      const statuses = await Promise.all([chat(cached), chat(uncached)]);
      expect({ statuses, reconnectAttemptsMeanwhile: attempts }).toEqual({ statuses: [200, 200], reconnectAttemptsMeanwhile: 0 });
    } finally {
      redis.off('connecting', onConnecting);
    }
    expect(redis.status).not.toBe('ready');
  }, 60_000);

  it('an instance started while Redis is down starts, and serves from Postgres', async () => {
    expect(gw.redis!.status).not.toBe('ready'); // still down from the test above
    const key = (await gw.admin('POST', `/users/${userId}/keys`, {})).key as string;
    const late = await startTestGateway({ databaseUrl: tdb.url, env: { REDIS_URL: own.url } });
    try {
      expect(await (await fetch(`${late.url}/ready`)).json()).toMatchObject({ status: 'degraded' });
      const res = await fetch(`${late.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello there gateway' }] }),
      });
      expect(res.status).toBe(200);
    } finally {
      await late.close();
    }
  }, 60_000);
});
