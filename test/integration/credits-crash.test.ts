import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import { eventually, expectMoneyInvariants } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { spawnGateway, type GatewayProcess } from '../helpers/spawn.js';

let db: TestDatabase;
let mock: MockUpstream;
let prefix: string;
let key: string;
let accountId: string;
const running: GatewayProcess[] = [];

// Holds expire 2 s (provider total timeout) + 1 s (grace) after they are placed; the sweeper runs often.
const crashEnv = { HOLD_GRACE_SECONDS: '1', SWEEP_INTERVAL_MS: '250' };

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
    const [before] = await db.query<{ held: string }>('SELECT held::text FROM accounts WHERE id = $1', [accountId]);
    expect(BigInt(before!.held)).toBeGreaterThan(0n);
    expect(await db.query('SELECT 1 FROM holds')).toHaveLength(8);

    await a.kill(); // SIGKILL: no settlement, no cleanup
    for (const r of readers) await r.cancel().catch(() => undefined);

    // A restarted instance's sweeper releases the abandoned holds once they expire.
    const b = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, name: 'restarted', env: crashEnv });
    running.push(b);
    await eventually(async () => (await db.query('SELECT 1 FROM holds')).length === 0, 15_000, 'abandoned holds released');
    await expectMoneyInvariants(db, { noOpenHolds: true });

    const rows = await db.query<{ status: number; error_code: string | null; cost: string; instance_id: string }>(
      'SELECT status, error_code, cost::text, instance_id FROM requests ORDER BY started_at',
    );
    expect(rows.filter((r) => r.status === 200)).toHaveLength(2);
    const abandoned = rows.filter((r) => r.error_code === 'hold_expired');
    expect(abandoned).toHaveLength(8);
    expect(abandoned.every((r) => r.cost === '0' && r.instance_id === 'victim')).toBe(true);
    const charges = await db.query("SELECT 1 FROM ledger WHERE kind = 'usage'");
    expect(charges).toHaveLength(2);

    // The restarted instance serves and charges normally.
    const res = await fetch(`${b.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'after restart' }] }),
    });
    expect(res.status).toBe(200);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  }, 60_000);
});
