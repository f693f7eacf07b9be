/**
 * A self-contained tour of the Tollgate SDK: starts the mock provider and an embedded gateway
 * (PGlite in a temporary directory; no Postgres, Redis or provider account needed), sets them
 * up with the admin client, runs the example app (sdk-app.ts), then shows the operator's view.
 *
 *   npx tsx examples/sdk-demo.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '../src/config/env.js';
import { startMockUpstream } from '../test/mock-upstream/server.js';
import { startGateway } from '../src/server.js';
// In an app: import { … } from 'tollgate/sdk';
import { AuthenticationError, Tollgate, TollgateAdmin } from '../src/sdk/index.js';
import { runApp } from './sdk-app.js';

const say = (line = '') => process.stdout.write(`${line}\n`);
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-sdk-demo-'));
const mock = await startMockUpstream({ port: 0 });
const adminToken = 'demo-admin-token-0123456789';
const running = await startGateway(loadEnv({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_TOKEN: adminToken, SEED_FILE: 'none', LOG_LEVEL: 'silent' }));

try {
  say(`Gateway ${running.url} (embedded), mock provider ${mock.url}\n`);
  const admin = new TollgateAdmin({ adminToken, baseURL: running.url });

  // The operator's side: a provider with its key, two models with prices, a plan, a funded user and their key.
  await admin.providers.create({ id: 'openai', kind: 'openai', baseUrl: mock.baseUrl('openai'), keys: [{ secret: 'mock-openai-key-0001', label: 'main' }] });
  await admin.models.create({
    alias: 'gpt-4o-mini',
    providerId: 'openai',
    upstreamModel: 'gpt-4o-mini-2024-07-18',
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    supportsTools: true,
    supportsJson: true,
    price: { inputPerMtok: '0.15', outputPerMtok: '0.6', cachedInputPerMtok: '0.075' },
  });
  await admin.models.create({ alias: 'text-embedding-3-small', providerId: 'openai', upstreamModel: 'text-embedding-3-small', kind: 'embedding', contextWindow: 8_192, maxOutputTokens: 1, price: { inputPerMtok: '0.02', outputPerMtok: '0' } });
  await admin.plans.create({ id: 'team', name: 'Team', rpm: 600, markupBps: 1_000 });
  const user = await admin.users.create({ email: 'ada@example.com', name: 'Ada', planId: 'team', initialCredits: '5' });
  const key = await admin.keys.create(user.id, { name: 'demo' });
  say(`Set up: provider openai, models gpt-4o-mini + text-embedding-3-small, plan team (+10%), user ${user.email} with key ${key.prefix}…`);
  await admin.accounts.grant(user.accountId, { amount: '2.5', note: 'welcome bonus', idempotencyKey: `welcome-${user.id}` });

  // The app's side.
  const tg = new Tollgate({ apiKey: key.key, baseURL: running.url, defaultTags: { app: 'sdk-demo' } });
  await runApp(tg, { chat: 'gpt-4o-mini', embedding: 'text-embedding-3-small' });

  // Back to the operator: the account's ledger, then a revoked key.
  say('\nLedger (newest first):');
  for await (const entry of admin.accounts.ledgerEntries(user.accountId)) say(`  ${entry.kind.padEnd(10)} ${entry.amountCredits.padStart(12)}  ${entry.note || entry.requestId}`);
  await admin.keys.revoke(key.id);
  try {
    await tg.credits();
  } catch (err) {
    if (!(err instanceof AuthenticationError)) throw err;
    say(`\nAfter revoking the key: AuthenticationError (${err.status}, ${err.code})`);
  }
} finally {
  await running.shutdown();
  await mock.close();
  rmSync(dataDir, { recursive: true, force: true });
}
