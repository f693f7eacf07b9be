import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Micros } from '../../src/credits/money.js';
import { decodeSettlement } from '../../src/credits/settlement-codec.js';
import { SettlementStream } from '../../src/credits/settlement-stream.js';
import { SettlementWriter } from '../../src/credits/settlements.js';
import { PgDb } from '../../src/store/pg.js';
import { Signer } from '../../src/store/signer.js';
import { countScriptCalls } from '../helpers/script-calls.js';
import { testSettlement } from '../helpers/settlements.js';
import { TEST_PG_ADMIN_URL, TEST_REDIS_URL } from '../helpers/env.js';

/**
 * Appending to the settlement stream against a real Redis: settlements of requests finishing in
 * the same moment share one script call and one sealed entry (a line each), counted once for
 * its instance.
 */
let redis: Redis;
let db: PgDb;
let scripts: { readonly count: number };
const log = pino({ level: 'silent' });
const signer = new Signer(Buffer.from('settlement-append-test-key-0123456789'), 'tollgate settlement seal v1');

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true });
  await new Promise((r) => redis.once('ready', r));
  scripts = countScriptCalls(redis);
  // The writer is not started here: nothing reaches Postgres.
  db = new PgDb({ connectionString: TEST_PG_ADMIN_URL, poolSize: 1 });
});
afterAll(async () => {
  redis.disconnect();
  await db.close();
});

const settlement = (i: number) =>
  testSettlement({ requestId: `0192f3a0-0000-7000-8000-${String(i).padStart(12, '0')}`, accountId: '0192f3a0-2222-7000-8000-000000000002', instanceId: 'instance-a', cost: i, hold: 100n as Micros, lease: 'instance-a' });

describe('appending settlements', () => {
  it('requests finishing together share one script call and one sealed entry, counted for its instance', async () => {
    const prefix = `append-test:${Math.random().toString(36).slice(2)}:`;
    const stream = new SettlementStream(redis, signer, new SettlementWriter(db, log, 'instance-a'), log, { instanceId: 'instance-a', prefix, claimIdleMs: 30_000 });
    await stream.append(settlement(0)); // loads the script
    const before = scripts.count;
    await Promise.all(Array.from({ length: 40 }, (_, i) => stream.append(settlement(i + 1))));
    expect(scripts.count - before).toBeLessThanOrEqual(4);
    const entries = await redis.xrange(`${prefix}{credits}:settlements`, '-', '+');
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries.length).toBeLessThanOrEqual(5);
    const costs = entries.flatMap(([, fields]) => {
      const f = Object.fromEntries(fields.flatMap((v, i) => (i % 2 ? [] : [[v, fields[i + 1]]])));
      expect(f.i).toBe('instance-a');
      const opened = signer.open(`settlement:${f.r}`, f.d!);
      expect(opened.ok).toBe(true);
      const settlements = (opened as { value: string }).value.split('\n').map(decodeSettlement);
      expect(settlements[0]!.requestId).toBe(f.r);
      return settlements.map((s) => Number(s.cost));
    });
    expect(costs.sort((a, b) => a - b)).toEqual(Array.from({ length: 41 }, (_, i) => i));
    expect(await redis.hget(`${prefix}{credits}:unwritten`, 'instance-a')).toBe(String(entries.length));
    await redis.del(`${prefix}{credits}:settlements`, `${prefix}{credits}:unwritten`);
  });

  it('an append Redis cannot take rejects, so the request writes its settlement itself', async () => {
    const down = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    down.on('error', () => undefined);
    const stream = new SettlementStream(down, signer, new SettlementWriter(db, log, 'instance-a'), log, { instanceId: 'instance-a', prefix: 'x:', claimIdleMs: 30_000 });
    const results = await Promise.allSettled([stream.append(settlement(1)), stream.append(settlement(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    down.disconnect();
  });
});
