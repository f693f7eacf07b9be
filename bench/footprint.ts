import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { ownRedis } from '../test/helpers/redis-server.js';
import { createTestDatabase } from '../test/helpers/db.js';
import { startMockUpstream } from '../test/mock-upstream/server.js';
import { startTestGateway } from '../test/helpers/gateway.js';
import { createUserWithKey, seedMockCatalogue } from '../test/helpers/catalogue.js';

/**
 * `npx tsx bench/footprint.ts` — what one request leaves behind, for the README's sizing: Redis
 * commands (INFO commandstats on a Redis of its own, so nothing else is counted; commands run
 * inside scripts included) and Postgres bytes (request row, ledger entry and their indexes, after
 * VACUUM FULL). Non-streaming chat through the full pipeline with a plan that has RPM and TPM
 * limits. Needs the test Postgres (and redis-server on the PATH); FOOTPRINT_REQUESTS (default 2000).
 */
const N = Number(process.env.FOOTPRINT_REQUESTS ?? 2000);
const redis = await ownRedis();
const db = await createTestDatabase();
const mock = await startMockUpstream({ recordLimit: 0 });
const gw = await startTestGateway({ databaseUrl: db.url, env: { REDIS_URL: redis.url, LEASE_IDLE_MS: '5000' } });
const r = new Redis(redis.url);
try {
  await seedMockCatalogue(gw, mock);
  await gw.admin('POST', '/plans', { id: 'team', name: 'Team', rpm: 1_000_000, tpm: 1_000_000_000 });
  const user = await createUserWithKey(gw, { credits: '100000', planId: 'team' });
  const client = new OpenAI({ apiKey: user.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) {
          next++;
          await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hello ${next}` }] });
        }
      }),
    );
    // Let the settlers write what was appended.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  };
  const commands = async () => {
    const out: Record<string, number> = {};
    for (const m of (await r.info('commandstats')).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) out[m[1]!] = Number(m[2]);
    return out;
  };
  const bytes = async () => {
    await db.query('VACUUM FULL');
    const [row] = await db.query<{ s: string }>(
      `SELECT sum(pg_total_relation_size(c.oid))::text AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`,
    );
    return Number(row!.s);
  };
  await run(50); // warm: leases, key and catalogue caches
  const [c0, b0] = [await commands(), await bytes()];
  await run(N);
  const [c1, b1] = [await commands(), await bytes()];
  const perRequest = Object.entries(c1)
    .map(([name, calls]) => [name, (calls - (c0[name] ?? 0) - (name === 'info' ? 1 : 0)) / N] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = perRequest.reduce((s, [, n]) => s + n, 0);
  process.stdout.write(
    `${N} requests\nRedis commands per request: ${total.toFixed(1)} (${perRequest.map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ')})\n` +
      `Postgres bytes per request: ${((b1 - b0) / N).toFixed(0)}\n`,
  );
} finally {
  r.disconnect();
  await gw.close();
  await mock.close();
  await db.drop();
  await redis.kill();
}
