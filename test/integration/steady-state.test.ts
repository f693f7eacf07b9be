import { describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { CHAT_MODELS } from '../helpers/catalogue.js';
import { waitForStatement, type PgTap } from '../helpers/pg-tap.js';
import { useGatewayHarness } from '../helpers/harness.js';

let client: OpenAI;
let tap: PgTap;
// The leader's periodic version check, the credit sweeper and the alert check (queries per interval,
// whatever the traffic) are moved out of the measured window: what is counted is per request.
useGatewayHarness({ env: { CONFIG_CHECK_INTERVAL_MS: '600000', SWEEP_INTERVAL_MS: '3600000', ALERT_CHECK_INTERVAL_MS: '3600000' }, tapPostgres: true }, (h) => {
  client = h.client;
  tap = h.pgTap!;
});

// Transaction framing is not a query of its own: it wraps one of the statements counted.
const FRAMING = /^(BEGIN|COMMIT|ROLLBACK)\b/i;

describe('the hot path in steady state', () => {
  it('makes zero config, auth or per-request credit queries to Postgres: settlements in batches, and a lease refill now and then', async () => {
    await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'warm up' }] });
    await waitForStatement(tap, 'SELECT release_expired_holds('); // the sweep at start
    const from = tap.statements.length;
    for (let i = 0; i < 30; i++) {
      await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: `request ${i}` }] });
    }
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'steady' });
    await client.models.list();
    const seen = tap.statements.slice(from).map((s) => s.sql.trim()).filter((s) => !FRAMING.test(s));
    // Settlements whose outcome is read select settle_leased's rows; the settlers' select only their count.
    const kind = (s: string) => (/\bsettle_leased/.test(s) ? 'settle' : /(acquire|return|renew)_leases/.test(s) ? 'lease' : s.split(/\s+/).slice(0, 4).join(' '));
    const kinds = new Set(seen.map(kind));
    expect([...kinds].filter((k) => k !== 'lease')).toEqual(['settle']);
    // Holds come out of the lease in memory: it is refilled far less often than once a request.
    expect(seen.filter((s) => kind(s) === 'lease').length).toBeLessThanOrEqual(10);
    expect(seen.filter((s) => kind(s) === 'settle').length).toBeLessThanOrEqual(31);
  });
});
