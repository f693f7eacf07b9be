import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import { expectMoneyInvariants } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { spawnGateway, type GatewayProcess } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';
import { DRAIN_HEADER } from '../../src/http/lifecycle.js';

let db: TestDatabase;
let mock: MockUpstream;
let prefix: string;
let key: string;
const procs: GatewayProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  mock = await startMockUpstream();
  prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
  const seeder = await startTestGateway({ databaseUrl: db.url, redisPrefix: prefix });
  await seedMockCatalogue(seeder, mock);
  ({ key } = await createUserWithKey(seeder, { credits: '10' }));
  await seeder.close();
}, 240_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await mock?.close();
  await db?.drop();
});

async function openStream(url: string, prompt: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODELS.openai, stream: true, messages: [{ role: 'user', content: prompt }] }),
  });
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const rest = (async () => {
    let text = first;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += new TextDecoder().decode(value);
    }
  })();
  return { id: res.headers.get('x-request-id')!, rest };
}

describe('graceful shutdown on SIGTERM', () => {
  it('fails /ready and refuses new requests at once, lets streams finish and settle, then exits 0', async () => {
    const gw = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, env: { SHUTDOWN_DEADLINE_MS: '20000' } });
    procs.push(gw);
    await injectFault(mock, { provider: 'openai', match: 'drain-me', fault: { type: 'slow_events', ms: 80 } });
    const stream = await openStream(gw.url, 'drain-me [[reply:15]]');

    gw.child.kill('SIGTERM');
    // The signal is delivered asynchronously: /ready turning 503 is the moment shutdown began.
    const ready = await waitFor(async () => {
      const res = await fetch(`${gw.url}/ready`);
      return res.status === 503 && ((await res.json()) as Record<string, unknown>);
    }, { what: '/ready to fail once SIGTERM is handled' });
    expect(ready).toMatchObject({ status: 'not_ready', checks: { lifecycle: 'shutting down' } });
    const refused = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'too late' }] }),
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'shutting_down' } });
    // Our load balancers ask for the refusal as a closed connection, which they retry elsewhere
    // (they never replay a 503: docs/ARCHITECTURE.md, "Load balancing and the drain").
    const closed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', [DRAIN_HEADER]: 'close' },
      body: JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'too late' }] }),
    }).then(
      (res) => `answered ${res.status}`,
      (err: Error) => `failed: ${err.message}`,
    );
    expect(closed).toBe('failed: fetch failed');

    const text = await stream.rest;
    expect(text).toContain('w15');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const code = await new Promise<number | null>((resolve) => gw.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const [row] = await db.query<{ status: number; cost: string }>('SELECT status, cost::text FROM requests WHERE id = $1', [stream.id]);
    expect(row!.status).toBe(200);
    expect(BigInt(row!.cost)).toBeGreaterThan(0n);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  }, 60_000);

  it('cuts what still runs at the deadline, settles what it produced, and still exits 0', async () => {
    const gw = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, env: { SHUTDOWN_DEADLINE_MS: '300' } });
    procs.push(gw);
    await injectFault(mock, { provider: 'openai', match: 'too-long', fault: { type: 'slow_events', ms: 200 } });
    const stream = await openStream(gw.url, 'too-long [[reply:100]]');
    const exited = new Promise<number | null>((resolve) => gw.child.once('exit', (c) => resolve(c)));
    gw.child.kill('SIGTERM');
    await stream.rest.catch(() => undefined);
    expect(await exited).toBe(0);
    const row = await waitFor(async () => (await db.query<{ status: number; error_code: string; cost: string; completion_tokens: number }>('SELECT status, error_code, cost::text, completion_tokens FROM requests WHERE id = $1', [stream.id]))[0], { what: 'the cut stream\'s request row' });
    expect(row).toMatchObject({ status: 499, error_code: 'client_disconnected' });
    expect(row.completion_tokens).toBeLessThan(100);
    expect(BigInt(row.cost)).toBeGreaterThan(0n);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  }, 60_000);
});
