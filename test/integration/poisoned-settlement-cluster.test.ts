import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MODELS, seedMockCatalogue } from '../helpers/catalogue.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { startTestGateway } from '../helpers/gateway.js';
import { eventually, expectMoneyInvariants, quiescent } from '../helpers/invariants.js';

let cluster: Cluster;
const users: { key: string; accountId: string }[] = [];
let attacker: string;

beforeAll(async () => {
  cluster = await startCluster(3);
  // Seed through an in-process gateway on the same database (it speaks the same admin API).
  const seeder = await startTestGateway({ databaseUrl: cluster.db.url, redisPrefix: cluster.prefix });
  await seedMockCatalogue(seeder, cluster.mock);
  await seeder.close();
  const node = cluster.nodes[0]!;
  for (let i = 0; i < 3; i++) {
    const u = await cluster.admin(node, 'POST', '/users', { email: `good-${i}@example.test`, initialCredits: '1' });
    const k = await cluster.admin(node, 'POST', `/users/${u.id}/keys`, { name: 'good' });
    users.push({ key: k.key, accountId: u.accountId });
  }
  const bad = await cluster.admin(node, 'POST', '/users', { email: 'poison@example.test', initialCredits: '0' });
  attacker = (await cluster.admin(node, 'POST', `/users/${bad.id}/keys`, { name: 'poison' })).key;
}, 240_000);

afterAll(async () => {
  await cluster?.close();
});

const post = (url: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('one account cannot break the others’ billing (three instances)', () => {
  it('while a zero-credit key sends unstorable input to every instance, everyone else is served and charged exactly once', async () => {
    const poison = Array.from({ length: 60 }, (_, i) => {
      const url = cluster.nodes[i % 3]!.url;
      return i % 2 === 0
        ? post(url, attacker, { model: `m\u0000${i}`, messages: [{ role: 'user', content: 'x' }] })
        : post(url, attacker, { model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'x' }] }, { 'x-tollgate-tags': 'a=%00' });
    });
    const good = Array.from({ length: 90 }, (_, i) => post(cluster.nodes[i % 3]!.url, users[i % 3]!.key, { model: CHAT_MODELS.openai, messages: [{ role: 'user', content: `good ${i}` }] }));
    const [bad, ok] = await Promise.all([Promise.all(poison), Promise.all(good)]);
    expect(bad.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
    expect(ok.map((r) => r.status)).toEqual(ok.map(() => 200));
    const ids = ok.map((r) => r.headers.get('x-request-id')!);
    const charged = await eventually(async () => {
      const rows = await cluster.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ledger WHERE kind = 'usage' AND request_id = ANY($1)`, [ids]);
      return rows[0]!.n === String(ids.length) && rows;
    }, 30_000, 'every good request charged');
    expect(charged).toEqual([{ n: '90' }]);
    await quiescent(cluster.db, 30_000);
    await expectMoneyInvariants(cluster.db, { noOpenHolds: true });
  });
});
