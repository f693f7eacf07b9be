import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import { expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { spawnGateway, type GatewayProcess } from '../helpers/spawn.js';

let db: TestDatabase;
let mock: MockUpstream;
let prefix: string;
let key: string;
let accountId: string;
const running: GatewayProcess[] = [];

// A lease its instance no longer renews expires after 1 s; the sweeper runs often.
const crashEnv = { LEASE_TTL_MS: '1000', SWEEP_INTERVAL_MS: '250' };

beforeAll(async () => {
  db = await createTestDatabase();
  mock = await startMockUpstream();
  prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
  const seeder = await startTestGateway({ databaseUrl: db.url, redisPrefix: prefix });
  await seedMockCatalogue(seeder, mock, { providerTimeouts: { totalTimeoutMs: 2_000 } });
  ({ key, accountId } = await createUserWithKey(seeder, { credits: '1' }));
  await seeder.close();
}, 240_000);

afterAll(async () => {
  await Promise.all(running.map((g) => g.kill()));
  await mock?.close();
  await db?.drop();
});

async function openStream(url: string, prompt: string): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODELS.openai, stream: true, messages: [{ role: 'user', content: prompt }] }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  await reader.read(); // the stream has started: its hold is placed
  return reader;
}

describe('a gateway killed with streams in flight', () => {
  it('strands no credit: after the sweeper, balance == Σ ledger and nothing is held or charged twice', async () => {
    const a = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, name: 'victim', env: crashEnv });
    running.push(a);
    // Two ordinary requests complete and are charged before the crash.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${a.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 50, messages: [{ role: 'user', content: 'before crash' }] }),
      });
      expect(res.status).toBe(200);
    }
    await injectFault(mock, { provider: 'openai', match: 'crash-me', times: 0, fault: { type: 'slow_events', ms: 300 } });
    const readers = await Promise.all(Array.from({ length: 8 }, () => openStream(a.url, 'crash-me [[reply:100]]')));
    // The streams' holds came out of the victim's lease on the account.
    const [before] = await db.query<{ held: string; lease: string }>(
      "SELECT a.held::text, l.amount::text AS lease FROM accounts a JOIN leases l ON l.account_id = a.id AND l.instance_id = 'victim' WHERE a.id = $1",
      [accountId],
    );
    expect(BigInt(before!.lease)).toBeGreaterThan(0n);
    expect(before!.held).toBe(before!.lease);

    await a.kill(); // SIGKILL: no settlement, no cleanup
    for (const r of readers) await r.cancel().catch(() => undefined);

    // A restarted instance's sweeper releases the dead instance's lease once it expires.
    const b = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, name: 'restarted', env: crashEnv });
    running.push(b);
    await quiescent(db);
    await expectMoneyInvariants(db, { noOpenHolds: true });

    const rows = await db.query<{ status: number; error_code: string | null; cost: string; instance_id: string }>(
      'SELECT status, error_code, cost::text, instance_id FROM requests ORDER BY started_at',
    );
    // The streams cut by the crash never settled: they are not recorded and charged nothing.
    expect(rows.map((r) => r.status)).toEqual([200, 200]);
    const charges = await db.query("SELECT 1 FROM ledger WHERE kind = 'usage'");
    expect(charges).toHaveLength(2);

    // The restarted instance serves and charges normally.
    const res = await fetch(`${b.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'after restart' }] }),
    });
    expect(res.status).toBe(200);
    await quiescent(db);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  }, 60_000);
});
