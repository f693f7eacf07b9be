import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSeed } from '../../../src/config/seed.js';

function seedFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'seed-')), 'seed.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('catalogue seed', () => {
  it('the bundled seed is valid and covers all four providers with chat and embedding models', () => {
    const seed = readSeed();
    expect(new Set(seed.providers.map((p) => p.kind))).toEqual(new Set(['openai', 'anthropic', 'gemini', 'mistral']));
    for (const kind of ['openai', 'anthropic', 'gemini', 'mistral']) {
      const ids = seed.providers.filter((p) => p.kind === kind).map((p) => p.id);
      expect(seed.models.some((m) => ids.includes(m.provider) && (m.kind ?? 'chat') === 'chat'), kind).toBe(true);
    }
  });

  it('rejects a seed that breaks the schema, naming where', () => {
    const path = seedFile({ pricesAsOf: 'x', providers: [{ id: 'a', kind: 'openai', name: 'A', baseUrl: 'https://a' }], models: [{ alias: 'm', provider: 'a', upstreamModel: 'm', contextWindow: 1, maxOutputTokens: 1, price: { input: 'cheap', output: '1' } }] });
    expect(() => readSeed(path)).toThrow(/\/models\/0\/price\/input/);
  });

  it('rejects models of unknown providers and unknown fallbacks', () => {
    const base = { pricesAsOf: 'x', providers: [{ id: 'a', kind: 'openai', name: 'A', baseUrl: 'https://a' }] };
    const model = { alias: 'm', provider: 'a', upstreamModel: 'm', contextWindow: 1, maxOutputTokens: 1, price: { input: '1', output: '1' } };
    expect(() => readSeed(seedFile({ ...base, models: [{ ...model, provider: 'b' }] }))).toThrow(/unknown provider 'b'/);
    expect(() => readSeed(seedFile({ ...base, models: [{ ...model, fallbacks: ['ghost'] }] }))).toThrow(/unknown 'ghost'/);
  });
});
