import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { readSeed } from '../../src/config/seed.js';
import { startMockUpstream } from '../mock-upstream/server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-embedded-'));
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the gateway exactly as `npm start` would, minus the build: no DATABASE_URL, no REDIS_URL. */
async function startEmbedded(env: Record<string, string> = {}): Promise<{ url: string; banner: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|REDIS_URL|ADMIN_TOKEN|ENCRYPTION_KEY|[A-Z]+_API_KEY)$/.test(k)));
  child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...clean, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let banner = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner:\n${banner}`)), 60_000);
    child!.stderr!.on('data', (b: Buffer) => {
      banner += b.toString();
      const m = /API\s+(http:\/\/\S+)\/v1/.exec(banner);
      if (m && /Admin token/.test(banner)) {
        clearTimeout(timer);
        setTimeout(() => resolve(m[1]!), 50);
      }
    });
    child!.once('exit', (code) => reject(new Error(`exited ${code}:\n${banner}`)));
  });
  return { url, banner };
}

async function stop(): Promise<number | null> {
  child!.kill('SIGTERM');
  const [code] = await once(child!, 'exit');
  return code as number | null;
}

describe('the embedded default (no Postgres, no Redis configured)', () => {
  let adminToken = '';
  let firstKey = '';

  it('starts a complete gateway, seeds the catalogue, and prints the admin URL, admin token and a first key', async () => {
    const { url, banner } = await startEmbedded({ OPENAI_API_KEY: 'sk-embedded-test-1234' });
    expect(banner).toMatch(/Admin panel\s+http:\/\/127\.0\.0\.1:\d+\/admin/);
    adminToken = /Admin token\s+(\S+)/.exec(banner)![1]!;
    firstKey = /First API key\s+(\S+)/.exec(banner)![1]!;
    expect(firstKey).toMatch(/^tg_/);
    expect(banner).toMatch(/No key yet for\s+anthropic, gemini, mistral —/);

    const client = new OpenAI({ apiKey: firstKey, baseURL: `${url}/v1`, maxRetries: 0 });
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toHaveLength(readSeed().models.length);
    expect(ids).toEqual(expect.arrayContaining(['gpt-5-mini', 'claude-sonnet-4-5', 'gemini-2.5-flash', 'mistral-small', 'text-embedding-3-small']));
    const credits = (await (await fetch(`${url}/v1/credits`, { headers: { authorization: `Bearer ${firstKey}` } })).json()) as Record<string, unknown>;
    expect(credits).toMatchObject({ balance: '10.000000' });

    const providers = (await (await fetch(`${url}/admin/api/providers`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { data: { id: string; keys: unknown[] }[] };
    const openai = providers.data.find((p: { id: string }) => p.id === 'openai');
    expect(openai!.keys).toEqual([expect.objectContaining({ label: 'env:OPENAI_API_KEY', last4: '1234' })]);
    // The whole pipeline (hold → upstream → settle) runs on the embedded database.
    const mock = await startMockUpstream();
    const admin = (path: string, body: unknown) =>
      fetch(`${url}/admin/api${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await admin('/providers', { id: 'local', kind: 'openai', baseUrl: mock.baseUrl('openai'), keys: [{ secret: 'mock-key' }] })).status).toBe(201);
    expect((await admin('/models', { alias: 'local-model', providerId: 'local', upstreamModel: 'm', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } })).status).toBe(201);
    const { data, response } = await client.chat.completions.create({ model: 'local-model', messages: [{ role: 'user', content: 'Hello there gateway' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe('Mock reply to: Hello there gateway');
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000015');
    expect(response.headers.get('x-tollgate-balance')).toBe('9.999985');
    await mock.close();
    // The one secret the embedded mode keeps on disk is readable by its owner only.
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o077).toBe(0);
    expect(await stop()).toBe(0);
  }, 90_000);

  it('keeps its data across a restart, and shows no second first key', async () => {
    const { url, banner } = await startEmbedded({ OPENAI_API_KEY: 'sk-embedded-test-5678' });
    expect(/Admin token\s+(\S+)/.exec(banner)![1]).toBe(adminToken);
    expect(banner).not.toMatch(/First API key/);
    const client = new OpenAI({ apiKey: firstKey, baseURL: `${url}/v1`, maxRetries: 0 });
    // The seeded catalogue plus the model added before the restart.
    expect((await client.models.list()).data.length).toBe(readSeed().models.length + 1);
    const providers = (await (await fetch(`${url}/admin/api/providers`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { data: { id: string; keys: unknown[] }[] };
    // A changed OPENAI_API_KEY rotates the env key in place.
    expect(providers.data.find((p: { id: string }) => p.id === 'openai')!.keys).toEqual([expect.objectContaining({ label: 'env:OPENAI_API_KEY', last4: '5678' })]);
    expect(await stop()).toBe(0);
  }, 90_000);
});
