import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import { addDeployment, createUserWithKey, type DeploymentOptions } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { eventually } from '../helpers/invariants.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
useGatewayHarness({}, (h) => ({ db, mock, gw } = h));

const deployment = (id: string, opts: DeploymentOptions = {}) => addDeployment(gw, mock, id, opts);

async function ask(client: OpenAI, model: string) {
  const { response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello there gateway' }] }).withResponse();
  const id = response.headers.get('x-request-id')!;
  return eventually(async () => (await db.query<{ served_model: string; attempts: { provider: string; status: number; retryReason?: string }[] }>('SELECT served_model, attempts FROM requests WHERE id = $1', [id]))[0]);
}

describe('a deployment at its quota moves on to the fallback chain', () => {
  it('every key of the primary at its own quota → the fallback serves (not a 429)', async () => {
    const backup = await deployment('quota-backup');
    const primary = await deployment('quota-primary', { rpmLimit: 1, fallbacks: [backup] });
    const u = await createUserWithKey(gw, { credits: '1' });
    const client = new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await ask(client, primary)).served_model).toBe(primary);
    const second = await ask(client, primary);
    expect(second.served_model).toBe(backup);
    expect(second.attempts.map((a) => [a.provider, a.status, a.retryReason ?? null])).toEqual([
      ['quota-primary', 429, 'rate_limit_exceeded'],
      ['quota-backup', 200, null],
    ]);
  });

  it('a user at the per-provider limit of their plan → the fallback on another provider serves', async () => {
    await gw.admin('POST', '/plans', { id: 'one-per-provider', name: 'One per provider', rpmPerProvider: 1 });
    const backup = await deployment('pp-backup');
    const primary = await deployment('pp-primary', { fallbacks: [backup] });
    const u = await createUserWithKey(gw, { credits: '1', planId: 'one-per-provider' });
    const client = new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await ask(client, primary)).served_model).toBe(primary);
    expect((await ask(client, primary)).served_model).toBe(backup);
  });

  it('with no fallback left, the quota’s 429 still reaches the client with Retry-After', async () => {
    const only = await deployment('quota-only', { rpmLimit: 1 });
    const u = await createUserWithKey(gw, { credits: '1' });
    const client = new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await ask(client, only);
    const err = await client.chat.completions.create({ model: only, messages: [{ role: 'user', content: 'again' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
