import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import type { PgDb } from '../../src/store/pg.js';
import { CHAT_MODELS } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

let gw: TestGateway;
let client: OpenAI;
// The leader's periodic version check (one query every CONFIG_CHECK_INTERVAL_MS, whatever the
// traffic) is moved out of the measured window: what is counted is per request.
useGatewayHarness({ env: { CONFIG_CHECK_INTERVAL_MS: '600000' } }, (h) => ({ gw, client } = h));

describe('the hot path in steady state', () => {
  it('makes zero config or auth queries to Postgres: only the credit hold and settlement', async () => {
    await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'warm up' }] });
    const seen: string[] = [];
    const db = gw.gw.db as PgDb;
    db.onQuery = (sql) => seen.push(sql.trim().split(/\s+/).slice(0, 4).join(' '));
    for (let i = 0; i < 30; i++) {
      await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: `request ${i}` }] });
    }
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'steady' });
    await client.models.list();
    db.onQuery = undefined;
    const kinds = new Set(seen.map((s) => (/place_holds/.test(s) ? 'hold' : /settle_requests/.test(s) ? 'settle' : s)));
    expect([...kinds].sort()).toEqual(['hold', 'settle']);
    expect(seen.filter((s) => /place_holds/.test(s)).length).toBeLessThanOrEqual(31);
  });
});
