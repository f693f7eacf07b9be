import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/store/secrets.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/env.js';
import { startTestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

const h = useGatewayHarness();
const NEW_KEY = SecretBox.generateKey();

async function keyRows() {
  return h.db.query<{ id: string; provider_id: string; secret_encrypted: string }>('SELECT id::text AS id, provider_id, secret_encrypted FROM provider_keys ORDER BY id');
}

async function chat(): Promise<string | null> {
  const r = await h.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  return r.choices[0]!.message.content;
}

describe('provider key encryption', () => {
  it('a ciphertext copied into another row does not decrypt', async () => {
    const rows = await keyRows();
    const openai = rows.find((r) => r.provider_id === 'openai')!;
    const other = rows.find((r) => r.provider_id === 'anthropic')!;
    const box = new SecretBox(TEST_ENCRYPTION_KEY);
    expect(box.open(openai.secret_encrypted, `provider_keys:openai:${openai.id}`)).toBe('mock-openai-key-0001');
    expect(() => box.open(openai.secret_encrypted, `provider_keys:anthropic:${other.id}`)).toThrow();

    // The same swap in the database: a fresh gateway cannot load a catalogue whose key was moved.
    await h.db.query('UPDATE provider_keys SET secret_encrypted = $1 WHERE id = $2::bigint', [openai.secret_encrypted, other.id]);
    await expect(startTestGateway({ databaseUrl: h.db.url })).rejects.toThrow();
    await h.db.query('UPDATE provider_keys SET secret_encrypted = $1 WHERE id = $2::bigint', [other.secret_encrypted, other.id]);
  });

  it('rotating ENCRYPTION_KEY re-seals every key on start and the gateway keeps serving', async () => {
    expect(await chat()).toBe('Mock reply to: hi');
    const before = await keyRows();
    // Step 1 of the rotation: the new key is known but not yet used.
    const step1 = await startTestGateway({ databaseUrl: h.db.url, env: { ENCRYPTION_KEY: `${TEST_ENCRYPTION_KEY},next:${NEW_KEY}` } });
    await step1.close();
    expect((await keyRows()).map((r) => r.secret_encrypted)).toEqual(before.map((r) => r.secret_encrypted));
    // Step 2: the new key seals; the start re-seals the old rows.
    const step2 = await startTestGateway({ databaseUrl: h.db.url, env: { ENCRYPTION_KEY: `next:${NEW_KEY},${TEST_ENCRYPTION_KEY}` } });
    try {
      const after = await keyRows();
      expect(after.every((r) => r.secret_encrypted.startsWith('v2.next.'))).toBe(true);
      // The rotated instance serves with the re-sealed keys.
      const OpenAI = (await import('openai')).default;
      const client = new OpenAI({ apiKey: h.key, baseURL: `${step2.url}/v1`, maxRetries: 0 });
      const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.choices[0]!.message.content).toBe('Mock reply to: hi');
    } finally {
      await step2.close();
    }
    // Step 3: the old key dropped; a gateway with only the new key loads every provider key.
    const step3 = await startTestGateway({ databaseUrl: h.db.url, env: { ENCRYPTION_KEY: `next:${NEW_KEY}` } });
    try {
      expect(step3.gw.config.current.providers.get('openai')!.keys[0]!.secret).toBe('mock-openai-key-0001');
    } finally {
      await step3.close();
    }
  });
});
